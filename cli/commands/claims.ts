import type { Command } from "commander";
import { withContext, type CommandContext } from "../context.js";
import { CliError, UsageError } from "../exit-codes.js";
import { integerIn, parseGigabytes, parseName, parseSize } from "../input/flags.js";
import type { Operation } from "../operations/operation.js";
import { printFields, printTable } from "../output.js";
import { segment, waitable } from "./options.js";
import type { Item } from "./types.js";

/** The variables of a claim's Secret, as a reveal answers them. */
interface Revealed {
  readonly kind: string;
  readonly name: string;
  readonly variables: Readonly<Record<string, string>>;
  readonly revealedAt: string;
}

const path = (context: CommandContext, collection: string, name?: string) =>
  `/v1/projects/${segment(context.project)}/${collection}${name === undefined ? "" : `/${segment(name)}`}`;

async function change(
  context: CommandContext,
  method: string,
  url: string,
  body: unknown,
  nothing = "",
): Promise<void> {
  const operation = await context.client.json<Operation>(method, url, {
    ...(body === undefined ? {} : { body }),
    ...(method === "PATCH" ? { patch: "merge" as const } : {}),
  });
  await context.accepted(operation, nothing);
}

/** Deletes each named item; one that does not exist is already deleted, one in use is refused. */
async function deleteEach(
  context: CommandContext,
  collection: string,
  singular: string,
  names: readonly string[],
) {
  let failed: CliError | undefined;
  for (const name of names) {
    try {
      await change(
        context,
        "DELETE",
        path(context, collection, name),
        undefined,
        `${name}: no such ${singular} (nothing to delete)`,
      );
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      context.out.note(`error: ${name}: ${error.message}`);
      failed ??= error;
    }
  }
  if (failed) throw new CliError(`not every ${singular} was deleted`, failed.exitCode);
}

function listAndGet(group: Command, collection: string, columns: (item: Item) => [string[], string[]]): void {
  group
    .command("list")
    .alias("ls")
    .description(`The project's ${collection}`)
    .action(
      withContext(async (context) => {
        const page = await context.client.list<Item>(path(context, collection));
        const header = page.items[0] ? columns(page.items[0])[0] : ["NAME"];
        context.print(page, () =>
          printTable(
            context.out,
            header,
            page.items.map((item) => columns(item)[1]),
          ),
        );
      }),
    );
  group
    .command("get")
    .description(`One of the project's ${collection}`)
    .argument("<name>")
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const item = await context.client.get<Item>(path(context, collection, name));
        context.print(item, () =>
          printFields(
            context.out,
            Object.entries(item).filter(([key]) => key !== "links"),
          ),
        );
      }),
    );
}

/** `databases …` and `buckets …`: Postgres databases and S3 buckets of a project, sized in GB. */
export function registerClaimCommands(program: Command): void {
  for (const [collection, singular] of [
    ["databases", "database"],
    ["buckets", "bucket"],
  ] as const) {
    const group = program
      .command(collection)
      .alias(singular)
      .description(`Create, resize, delete ${collection}, and read their credentials and use`);
    const create = waitable(
      group
        .command("create")
        .description(`Create a ${singular}`)
        .argument("<name>", `the ${singular}'s name`, parseName)
        .requiredOption("--size <GB>", "its size in GB, such as 5 or 5GB", parseGigabytes),
    );
    if (collection === "databases") {
      create.option(
        "--connection-limit <n>",
        "most connections at once (default 20, at most the zone's limit)",
        integerIn(1, 500),
      );
    }
    create.action(
      withContext<{ size: number; connectionLimit?: number }, [string]>(async (context, opts, name) =>
        change(context, "PUT", path(context, collection, name), {
          sizeGB: opts.size,
          ...(opts.connectionLimit !== undefined ? { connectionLimit: opts.connectionLimit } : {}),
        }),
      ),
    );
    waitable(
      group
        .command("resize")
        .description(`Change a ${singular}'s size`)
        .argument("<name>")
        .requiredOption("--size <GB>", "the new size in GB", parseGigabytes),
    ).action(
      withContext<{ size: number }, [string]>(async (context, opts, name) =>
        change(context, "PATCH", path(context, collection, name), { sizeGB: opts.size }),
      ),
    );
    waitable(
      group
        .command("delete")
        .alias("rm")
        .description(`Delete ${collection} and everything in them`)
        .argument("<name...>"),
    ).action(
      withContext<object, [string[]]>(async (context, _opts, names) =>
        deleteEach(context, collection, singular, names),
      ),
    );
    listAndGet(group, collection, (item) => [
      ["NAME", "SIZE", "SECRET", "DEPLOYED"],
      [
        item.name,
        `${String(item["sizeGB"])}GB`,
        String(item.outputs?.["secret"] ?? ""),
        item.deployed ? "yes" : "not yet",
      ],
    ]);
    group
      .command("credentials")
      .description(
        `How to connect to a ${singular}: the variables of its Secret, read from the zone now (user tokens only; every reveal is recorded)`,
      )
      .argument("<name>")
      .action(
        withContext<object, [string]>(async (context, _opts, name) => {
          const revealed = await context.client.json<Revealed>(
            "POST",
            `${path(context, collection, name)}/credentials`,
          );
          if (!revealed) return;
          context.print(revealed, () => {
            for (const [key, value] of Object.entries(revealed.variables))
              context.out.line(`${key}=${value}`);
          });
        }),
      );
    group
      .command("status")
      .description(`A ${singular}'s use against its limits`)
      .argument("<name>")
      .action(
        withContext<object, [string]>(async (context, _opts, name) => {
          const status = await context.client.get<Record<string, unknown>>(
            `${path(context, collection, name)}/status`,
          );
          context.print(status, () =>
            printFields(
              context.out,
              Object.entries(status).map(([key, value]) => [key, describeFigure(value)] as const),
            ),
          );
        }),
      );
  }
}

/** A figure of use (`{used, limit, note}`) in a few words. */
function describeFigure(value: unknown): unknown {
  if (typeof value !== "object" || value === null || !("limit" in value)) return value;
  const figure = value as { used: number | null; limit: number | null; note?: string };
  return `${figure.used ?? "unknown"} of ${figure.limit ?? "no limit"}${figure.note ? ` (${figure.note})` : ""}`;
}

/** `volumes …` (also `volume`, as cc names it): volumes of a project that apps mount. */
export function registerVolumeCommands(program: Command): void {
  const group = program
    .command("volumes")
    .alias("volume")
    .description("Create, list and delete volumes that a project's apps mount (run --volume NAME:PATH)");
  waitable(
    group
      .command("create")
      .description(
        "Create a volume: persistent (a PersistentVolumeClaim that outlives the app's pods) with --persistent, else ephemeral (scratch space that lives as long as each pod)",
      )
      .argument("[name]", "the volume's name (or --name)", parseName)
      .option("--name <name>", "the volume's name", parseName)
      .requiredOption("--size <size>", "bytes, or 10Gi, 10GiB, 10G, 10GB", parseSize)
      .option("--persistent", "keep the data across restarts and redeploys"),
  ).action(
    withContext<{ name?: string; size: string; persistent?: boolean }, [string | undefined]>(
      async (context, opts, argument) => {
        if (argument && opts.name && argument !== opts.name) {
          throw new UsageError(`--name: '${opts.name}' and the NAME argument '${argument}' differ; give one`);
        }
        const name = argument ?? opts.name;
        if (!name) throw new UsageError("--name: give the volume's name");
        await change(context, "PUT", path(context, "volumes", name), {
          size: opts.size,
          kind: opts.persistent ? "persistent" : "ephemeral",
        });
      },
    ),
  );
  waitable(
    group
      .command("delete")
      .alias("rm")
      .description(
        "Delete volumes: refused for one an app mounts; one that does not exist is already deleted",
      )
      .argument("<id...>", "the volumes' names"),
  ).action(
    withContext<object, [string[]]>(async (context, _opts, names) =>
      deleteEach(context, "volumes", "volume", names),
    ),
  );
  listAndGet(group, "volumes", (item) => [
    ["NAME", "SIZE", "KIND", "DEPLOYED"],
    [item.name, String(item["size"]), String(item["kind"]), item.deployed ? "yes" : "not yet"],
  ]);
}
