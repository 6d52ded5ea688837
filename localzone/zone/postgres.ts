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

export function startPostgres(zone: ZoneSpec, layout: PostgresLayout): void {
  const options = [
    `-c listen_addresses=${zone.postgres.host}`,
    `-p ${zone.postgres.port}`,
    `-k ${layout.socketDir}`,
    "-c max_connections=300",
    "-c fsync=off",
  ].join(" ");
  run(layout, "pg_ctl", [
    "start",
    `--pgdata=${layout.dataDir}`,
    `--log=${layout.logFile}`,
    "--wait",
    "--timeout=60",
    `--options=${options}`,
  ]);
}

export function stopPostgres(layout: PostgresLayout): boolean {
  if (postgresPid(layout) === undefined) return false;
  run(layout, "pg_ctl", ["stop", `--pgdata=${layout.dataDir}`, "--mode=fast", "--wait", "--timeout=60"]);
  return true;
}

export function postgresReady(zone: ZoneSpec, layout: PostgresLayout): boolean {
  try {
    execFileSync(
      join(layout.binDir, "pg_isready"),
      ["-h", zone.postgres.host, "-p", String(zone.postgres.port)],
      {
        stdio: "ignore",
      },
    );
    return true;
  } catch {
    return false;
  }
}
