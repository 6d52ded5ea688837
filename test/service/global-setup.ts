import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the throwaway PostgreSQL cluster (database `postgres`). */
    pgAdminUrl: string;
  }
}

/** Debian's newest installed PostgreSQL bin folder. */
function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error("service tests need PostgreSQL's server binaries (apt install postgresql)");
  return join(root, versions[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` user. */
function runAsClusterOwner(command: string, args: readonly string[]): void {
  const asRoot = userInfo().uid === 0;
  const [file, argv] = asRoot
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, [...args]];
  const result = spawnSync(file, argv, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

/**
 * Starts a throwaway PostgreSQL cluster for the service tests: a temporary folder, a free
 * loopback port, trust authentication, durability off (the data is thrown away). Each test
 * file creates its own database in it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "pluskube-service-pg-"));
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const port = await freePort();
  runAsClusterOwner(join(bin, "initdb"), [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=300",
  ].join(" ");
  runAsClusterOwner(join(bin, "pg_ctl"), [
    "-D",
    data,
    "-o",
    options,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "60",
    "start",
  ]);
  project.provide("pgAdminUrl", `postgres://postgres@127.0.0.1:${port}/postgres`);
  return async () => {
    try {
      runAsClusterOwner(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
