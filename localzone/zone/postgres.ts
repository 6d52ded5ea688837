import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { ZoneSpec } from "../../spec/zone.js";
import { resolveZonePath } from "../paths.js";

/**
 * The zone's PostgreSQL cluster, from Debian's binaries. PostgreSQL refuses to run as root, so
 * as root the cluster runs as the `postgres` user in a folder that user can reach
 * (`/var/lib/pluskube/<id>/postgres`, linked from the zone folder); otherwise in the zone folder.
 */
export interface PostgresLayout {
  readonly binDir: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** The user the server runs as when we are root; undefined when we are not. */
  readonly runAs: string | undefined;
}

export function postgresLayout(binDir: string, zoneDir: string): PostgresLayout {
  const root = process.getuid?.() === 0;
  const id = createHash("sha256").update(zoneDir).digest("hex").slice(0, 12);
  const dir = root ? join("/var/lib/pluskube", id, "postgres") : join(zoneDir, "postgres");
  return {
    binDir,
    dir,
    dataDir: join(dir, "data"),
    socketDir: join(dir, "run"),
    logFile: join(dir, "postgres.log"),
    runAs: root ? "postgres" : undefined,
  };
}

function run(layout: PostgresLayout, tool: string, args: readonly string[]): string {
  const bin = join(layout.binDir, tool);
  const [cmd, argv] = layout.runAs ? ["runuser", ["-u", layout.runAs, "--", bin, ...args]] : [bin, [...args]];
  return execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
}

function ensureUser(name: string): { uid: number; gid: number } {
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  }
  const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** Generates a secret once and keeps it in a file readable by its owner only. */
export function ensureSecretFile(file: string, make: () => string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, make() + "\n", { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return readFileSync(file, "utf8").trim();
}

/** initdb once, with the admin user and its generated password. */
export function ensurePostgresCluster(zone: ZoneSpec, layout: PostgresLayout, zoneDir: string): void {
  const password = ensureSecretFile(resolveZonePath(zone.postgres.passwordFile), () =>
    randomBytes(24).toString("base64url"),
  );
  // The folders above the cluster's must be traversable by the server's user.
  mkdirSync(dirname(layout.dir), { recursive: true, mode: 0o755 });
  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  mkdirSync(layout.socketDir, { recursive: true, mode: 0o700 });
  if (layout.runAs) {
    const { uid, gid } = ensureUser(layout.runAs);
    chownSync(layout.dir, uid, gid);
    chownSync(layout.socketDir, uid, gid);
    const link = join(zoneDir, "postgres");
    if (!existsSync(link)) symlinkSync(layout.dir, link);
  }
  if (existsSync(join(layout.dataDir, "PG_VERSION"))) return;
  const pwfile = join(layout.dir, ".initdb-password");
  writeFileSync(pwfile, password + "\n", { mode: 0o600 });
  if (layout.runAs) {
    const { uid, gid } = ensureUser(layout.runAs);
    chownSync(pwfile, uid, gid);
  }
  try {
    run(layout, "initdb", [
      `--pgdata=${layout.dataDir}`,
      `--username=${zone.postgres.adminUser}`,
      `--pwfile=${pwfile}`,
      "--auth-local=scram-sha-256",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
    ]);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Pid of the running postmaster, from its own pid file. */
export function postgresPid(layout: PostgresLayout): number | undefined {
  const file = join(layout.dataDir, "postmaster.pid");
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * The addresses the server listens on: the zone file's host (the service's) and, while the real
 * node runs, its cluster host too (the node address, where pods reach the server).
 */
export function postgresListenAddresses(zone: ZoneSpec, withNode: boolean): string[] {
  const cluster = withNode ? zone.postgres.clusterHost : undefined;
  return [zone.postgres.host, ...(cluster && cluster !== zone.postgres.host ? [cluster] : [])];
}

export function startPostgres(zone: ZoneSpec, layout: PostgresLayout, listen: readonly string[]): void {
  run(layout, "pg_ctl", [
    "start",
    `--pgdata=${layout.dataDir}`,
    `--log=${layout.logFile}`,
    "--wait",
    "--timeout=60",
    `--options=${serverOptions(zone, layout, listen)}`,
  ]);
}

/** Restarts a running server, e.g. to listen on another address. */
export function restartPostgres(zone: ZoneSpec, layout: PostgresLayout, listen: readonly string[]): void {
  run(layout, "pg_ctl", [
    "restart",
    `--pgdata=${layout.dataDir}`,
    `--log=${layout.logFile}`,
    "--mode=fast",
    "--wait",
    "--timeout=60",
    `--options=${serverOptions(zone, layout, listen)}`,
  ]);
}

function serverOptions(zone: ZoneSpec, layout: PostgresLayout, listen: readonly string[]): string {
  return [
    `-c listen_addresses=${listen.join(",")}`,
    `-p ${zone.postgres.port}`,
    `-k ${layout.socketDir}`,
    "-c max_connections=300",
    "-c fsync=off",
  ].join(" ");
}

export function stopPostgres(layout: PostgresLayout): boolean {
  if (postgresPid(layout) === undefined) return false;
  run(layout, "pg_ctl", ["stop", `--pgdata=${layout.dataDir}`, "--mode=fast", "--wait", "--timeout=60"]);
  return true;
}

/** Whether the server accepts connections on `host` (the zone file's host by default). */
export function postgresReady(zone: ZoneSpec, layout: PostgresLayout, host = zone.postgres.host): boolean {
  try {
    execFileSync(join(layout.binDir, "pg_isready"), ["-h", host, "-p", String(zone.postgres.port)], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

const POD_ACCESS_BEGIN =
  "# pluskube: pods of the real node (managed by the local zone; edits are overwritten)";
const POD_ACCESS_END = "# end pluskube: pods";

/**
 * pg_hba.conf lines for the real node's pods: a pod may log in with a tenant's role to the
 * database of the same name (each project database is owned by a role of its name) and
 * nothing else. The admin and the service role are refused from the pod network whatever
 * database they name. Connections from loopback keep initdb's rules. The machine itself,
 * connecting to the node address (`nodeAddress` is then the source), gets the tenants' rule
 * too: a member on the zone's machine uses the same connection details their apps get.
 */
export function podAccessRules(
  zone: ZoneSpec,
  podCidr: string,
  serviceRole: string,
  nodeAddress: string,
): string {
  const quote = (name: string): string => `"${name.replace(/"/g, "")}"`;
  return [
    POD_ACCESS_BEGIN,
    `host all ${quote(zone.postgres.adminUser)} ${podCidr} reject`,
    `host all ${quote(serviceRole)} ${podCidr} reject`,
    `host sameuser all ${podCidr} scram-sha-256`,
    `host sameuser all ${nodeAddress}/32 scram-sha-256`,
    POD_ACCESS_END,
  ].join("\n");
}

/** `hba` with the pods' block replaced by `block` (or removed when undefined). */
export function withPodAccess(hba: string, block: string | undefined): string {
  const start = hba.indexOf(POD_ACCESS_BEGIN);
  const end = hba.indexOf(POD_ACCESS_END);
  const rest =
    start >= 0 && end > start
      ? hba.slice(0, start) + hba.slice(end + POD_ACCESS_END.length).replace(/^\n/, "")
      : hba;
  const trimmed = rest.replace(/\n*$/, "\n");
  return block === undefined ? trimmed : `${trimmed}${block}\n`;
}

/**
 * Opens (or closes, with `block` undefined) the server to the pods as `podAccessRules` says;
 * the running server rereads the file. Returns whether the file changed.
 */
export function setPodAccess(layout: PostgresLayout, block: string | undefined): boolean {
  const file = join(layout.dataDir, "pg_hba.conf");
  const before = readFileSync(file, "utf8");
  const after = withPodAccess(before, block);
  if (after === before) return false;
  writeFileSync(file, after);
  if (postgresPid(layout) !== undefined) run(layout, "pg_ctl", ["reload", `--pgdata=${layout.dataDir}`]);
  return true;
}
