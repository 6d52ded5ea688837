import type { ZoneSpec } from "../spec/zone.js";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { staticZones } from "../automation-api/domain/zones.js";
import { localDatabaseUrl, localRunner } from "../automation-api/local-zone.js";
import type { AutomationRunner } from "../automation-api/runner/automation-runner.js";
import { kubeClusters } from "../automation-api/cluster/kube-clusters.js";
import { buildService } from "../automation-api/service.js";
import { createLogger } from "../automation-api/observability/log.js";
import { ensureToolchain } from "../localzone/toolchain.js";
import { dataDir } from "../localzone/paths.js";
import { simulatedZone, zoneUp } from "../localzone/zone.js";
import { dropZoneLease, takeZoneLease } from "../test/integration/helpers/zone-lease.js";
import { createUserToken } from "./user-token.js";
import type { Store } from "../automation-api/store/store.js";
import { serviceNodeFlags } from "../automation-api/start-flags.js";
import { relative } from "node:path";

/** Shared parts of the benchmarks: the local zone, the service in-process with the real runner, figures. */

/**
 * A benchmark hosts the service in its own process, so it must run on the node flags `npm start`
 * gives the service: throws, naming the command that does, when this process lacks some. (Running
 * itself again with them would leave this process beside it, whose collector, with the module
 * code of the whole service in its heap, takes the cores from the measured one now and then.)
 * Call it before anything else.
 */
export function requireServiceFlags(): void {
  const flags = serviceNodeFlags();
  const missing = flags.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return;
  const script = relative(process.cwd(), process.argv[1] ?? "bench/<benchmark>.ts");
  throw new Error(
    `this benchmark runs the service in its own process, on the node flags npm start gives it (${missing.join(" ")}): npx tsx ${flags.join(" ")} ${script}`,
  );
}

/**
 * Starts the local zone if needed and holds a lease on it (as test runs do), so that a test run
 * ending meanwhile leaves it running. Components that failed to build are reported, not fatal.
 */
export async function ensureZone(): Promise<void> {
  const say = (line: string) => console.error(`[zone] ${line}`);
  const toolchain = await ensureToolchain({ say });
  if (toolchain.failed.length > 0) say(`not built: ${toolchain.failed.join(", ")}`);
  takeZoneLease();
  process.once("exit", () => dropZoneLease());
  await zoneUp({ say });
}

/** The runner `npm start` uses; `{ policyPack: false }` leaves the pack (and its preview) out. */
export async function realRunner(options: { policyPack?: boolean } = {}): Promise<AutomationRunner> {
  return localRunner({ dataDir: dataDir(), policyPack: options.policyPack });
}

/** The API as one member calls it. */
export interface BenchMember {
  readonly token: string;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Waits for one of the member's operations to end; returns it. */
  settle(id: string, timeoutMs?: number): Promise<{ status: string; message: string | null }>;
}

export interface BenchService extends BenchMember {
  readonly url: string;
  /** The service's listener, for benchmarks that time requests inside the service. */
  readonly server: Server;
  /** The service's store, for benchmarks that fill it directly. */
  readonly store: Store;
  /** The benchmark user's name. */
  readonly user: string;
  /** The engine runner the service runs its jobs with, for benchmarks that time its commands. */
  readonly runner: AutomationRunner;
  /** Another member (made if missing) with a new token of their own. */
  member(name: string): Promise<BenchMember>;
  close(): Promise<void>;
}

/** Calls the service at `url` with a member's token. */
export function memberOf(url: string, token: string): BenchMember {
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
  };
  return {
    token,
    call,
    settle: async (id, timeoutMs = 900_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await call<{ status: string; message: string | null }>(
          "GET",
          `/v1/operations/${id}`,
        );
        if (body.status === "succeeded" || body.status === "failed") return body;
        if (Date.now() > deadline) throw new Error(`operation ${id} still ${body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/**
 * The service as `npm start` runs it (real runner, policy pack, pg-boss on the local zone's
 * PostgreSQL, in a database of its own), listening on an ephemeral port.
 */
export async function startService(
  options: {
    workers?: number;
    zone?: ZoneSpec;
    /** The service's database (default `pluskube_bench`): a benchmark whose users would change others' shares takes its own. */
    database?: string;
    /** The member the benchmark acts as (default: a new one per run, so earlier runs' leftovers do not count). */
    user?: string;
  } = {},
): Promise<BenchService> {
  // Simulated nodes unless a benchmark needs its apps to run.
  const zone = options.zone ?? simulatedZone();
  // Its own database, so benchmark users never count in the fair share of `npm start`'s users.
  const databaseUrl = await localDatabaseUrl(zone, options.database ?? "pluskube_bench");
  const runner = await realRunner();
  const service = await buildService({
    databaseUrl,
    zones: staticZones([zone]),
    runner,
    clusters: kubeClusters(),
    jobs: {
      workers: options.workers ?? 2,
      logger: createLogger({ level: "warn", destination: process.stderr }),
    },
    app: { rateLimit: { limit: 100_000 } },
  });
  const name = options.user ?? `bench-${Date.now().toString(36)}`;
  const server: Server = await service.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const me = memberOf(url, await createUserToken(service.store, name));
  return {
    ...me,
    url,
    server,
    store: service.store,
    user: name,
    runner,
    member: async (other) => memberOf(url, await createUserToken(service.store, other)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await service.stop();
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
