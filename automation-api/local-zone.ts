import { existsSync, readFileSync } from "node:fs";
import { Socket } from "node:net";
import pg from "pg";
import type { ZoneSpec } from "../spec/zone.js";
import { expandHome } from "../spec/zone.js";
import type { ProgramFactory } from "./runner/automation-runner.js";
import { documentedEngineEnv } from "./runner/engine-env.js";

/**
 * What `npm start` needs from the local zone, imported lazily so that neither tests nor a
 * service pointed at another database load (or build) any of it.
 */

export const SERVICE_DATABASE = "pluskube_service";

function say(line: string): void {
  console.log(line);
}

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Builds what is missing of the toolchain (cached after the first time) and starts the zone if it is down. */
export async function ensureLocalZone(zone: ZoneSpec): Promise<void> {
  const toolchain = await import("../localzone/toolchain.js");
  const result = await toolchain.ensureToolchain({ say });
  if (result.failed.length > 0)
    throw new Error(`the local zone's toolchain failed to build: ${result.failed.join(", ")}`);
  // localzone/zone.ts (zoneUp) is safe to run twice; it may not exist in older checkouts.
  const zoneModule = "../localzone/zone.js";
  const zoneUp = ((await import(zoneModule)) as { zoneUp?: (options?: object) => Promise<unknown> }).zoneUp;
  if (!zoneUp) throw new Error("localzone/zone.ts does not export zoneUp()");
  if (!(await reachable(zone.postgres.host, zone.postgres.port))) say("starting the local zone ...");
  await zoneUp();
}

function zonePassword(zone: ZoneSpec): string {
  const file = resolveDataPath(zone.postgres.passwordFile);
  if (!existsSync(file))
    throw new Error(`the local zone's PostgreSQL password file ${file} is missing; run npm run zone:up`);
  return readFileSync(file, "utf8").trim();
}

/** Like the local zone's own path rule: `~/.local/share/pluskube` follows `$PLUSKUBE_DATA_DIR`. */
function resolveDataPath(path: string): string {
  const defaultData = "~/.local/share/pluskube";
  const dataDir = process.env["PLUSKUBE_DATA_DIR"];
  if (dataDir && (path === defaultData || path.startsWith(`${defaultData}/`))) {
    return dataDir + path.slice(defaultData.length);
  }
  return expandHome(path);
}

/** The service's database on the local zone's PostgreSQL, created on first use. */
export async function localDatabaseUrl(zone: ZoneSpec): Promise<string> {
  const { host, port, adminUser } = zone.postgres;
  const password = zonePassword(zone);
  const url = (database: string) =>
    `postgres://${encodeURIComponent(adminUser)}:${encodeURIComponent(password)}@${host}:${port}/${database}?sslmode=disable`;
  const client = new pg.Client({ connectionString: url("postgres") });
  await client.connect();
  try {
    const { rows } = await client.query("select 1 from pg_database where datname = $1", [SERVICE_DATABASE]);
    if (rows.length === 0) await client.query(`create database ${SERVICE_DATABASE}`);
  } finally {
    await client.end();
  }
  return url(SERVICE_DATABASE);
}

export interface LocalEngine {
  readonly engineEnv: () => Record<string, string>;
  readonly pulumiRoot: string | undefined;
}

/** The engine environment: the local zone's `engineEnv()` when it has one, else the documented one. */
export async function localEngine(dataDir: string): Promise<LocalEngine> {
  const toolchain = await import("../localzone/toolchain.js");
  const paths = toolchain.toolchainPaths();
  const envModule = "../localzone/engine-env.js";
  const fromZone = await import(envModule).then(
    (module: { engineEnv?: () => Record<string, string> }) => module.engineEnv,
    () => undefined,
  );
  const engineEnv =
    fromZone ??
    (() => documentedEngineEnv({ dataDir, pulumiHome: toolchain.pulumiHome(), pulumiBinary: paths.pulumi }));
  return { engineEnv, pulumiRoot: existsSync(paths.pulumi) ? paths.pulumiBinDir : undefined };
}

/** `composeProject(spec, zone)` of `stacks/project`, as the inline program of a stack. */
export async function projectProgram(): Promise<ProgramFactory> {
  const composeModule = "../stacks/project/compose.js";
  const module = (await import(composeModule)) as {
    composeProject?: (spec: unknown, zone: ZoneSpec) => unknown;
  };
  const composeProject = module.composeProject;
  if (!composeProject) throw new Error("stacks/project/compose.ts does not export composeProject()");
  return (spec, zone) => async () =>
    (await composeProject(spec, zone)) as Record<string, unknown> | undefined;
}
