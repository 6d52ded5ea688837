import type { Command } from "commander";
import { withContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { printTable } from "../output.js";
import type { Zone } from "./types.js";

type Amounts = Readonly<Record<string, number>>;

interface Quota {
  readonly zone: string;
  readonly share: Amounts;
  readonly used: Amounts;
  readonly free: Amounts;
  readonly zoneFree: Amounts;
  readonly available: Amounts;
}

/** `zones` and `quota`: where projects may live and the caller's fair share there. */
export function registerQuotaCommands(program: Command): void {
  const zones = program.command("zones").alias("zone").description("The zones projects can live in");
  zones
    .command("list", { isDefault: true })
    .alias("ls")
    .description("The zones, with their domain and chunk")
    .action(
      withContext(async (context) => {
        const page = await context.client.list<Zone>("/v1/zones");
        context.print(page, () =>
          printTable(
            context.out,
            ["NAME", "DOMAIN", "CHUNK"],
            page.items.map((zone) => [
              zone.name,
              zone.baseDomain,
              `${zone.chunk.cpu} CPU, ${zone.chunk.memory} memory, ${zone.chunk.disk} disk`,
            ]),
          ),
        );
      }),
    );

  program
    .command("quota")
    .description(
      "Your fair share of a zone, what you use, and what the next request may take (user tokens only)",
    )
    .option("--zone <zone>", "the zone (default: the service's only zone)")
    .action(
      withContext<{ zone?: string }>(async (context, opts) => {
        let zone = opts.zone;
        if (!zone) {
          const all = await context.client.list<Zone>("/v1/zones");
          if (all.items.length !== 1 || !all.items[0]) {
            throw new UsageError(`--zone: name the zone, one of: ${all.items.map((z) => z.name).join(", ")}`);
          }
          zone = all.items[0].name;
        }
        const quota = await context.client.get<Quota>("/v1/quota", { query: { zone } });
        context.print(quota, () =>
          printTable(
            context.out,
            ["KIND", "SHARE", "USED", "FREE", "ZONE FREE", "AVAILABLE"],
            Object.keys(quota.share).map((kind) => [
              kind,
              String(quota.share[kind]),
              String(quota.used[kind]),
              String(quota.free[kind]),
              String(quota.zoneFree[kind]),
              String(quota.available[kind]),
            ]),
          ),
        );
      }),
    );
}
