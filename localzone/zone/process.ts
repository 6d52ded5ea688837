import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { join } from "node:path";

/** A long-running part of the zone, started detached with a pid file and a log file. */
export interface ProcessSpec {
  /** Name of the part: `etcd`, `kube-apiserver`, ... */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export function pidFile(runDir: string, name: string): string {
  return join(runDir, "run", `${name}.pid`);
}

export function logFile(runDir: string, name: string): string {
  return join(runDir, "logs", `${name}.log`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of a running part, or undefined; a stale pid file (dead or reused pid) is removed. */
export function runningPid(runDir: string, name: string, command: string): number | undefined {
  const file = pidFile(runDir, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
    rmSync(file, { force: true });
    return undefined;
  }
  // A recycled pid belongs to another program: compare the executable of the process.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
    if (!cmdline.endsWith(command.split("/").pop() ?? command)) {
      rmSync(file, { force: true });
      return undefined;
    }
  } catch {
    // No /proc: trust the pid.
  }
  return pid;
}

/** Starts a part detached from this process (it outlives `npm run zone:up`). */
export function startDetached(runDir: string, spec: ProcessSpec): number {
  mkdirSync(join(runDir, "run"), { recursive: true });
  mkdirSync(join(runDir, "logs"), { recursive: true });
  const out = openSync(logFile(runDir, spec.name), "a");
  writeFileSync(out, `\n--- ${new Date().toISOString()} ${spec.command} ${spec.args.join(" ")}\n`);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd ?? runDir,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  child.unref();
  writeFileSync(pidFile(runDir, spec.name), `${child.pid}\n`);
  return child.pid;
}

/** A built binary's path; fails naming the toolchain component that builds it when it is missing. */
export function requireBinary(path: string | undefined, component: string): string {
  if (!path || !existsSync(path)) {
    throw new Error(
      `${component} is not built (${path ?? "not found"}); run npm run toolchain -- ${component}`,
    );
  }
  return path;
}

/** Starts a part unless it is already running; returns whether it was started. */
export function ensureProcess(runDir: string, spec: ProcessSpec, say: (line: string) => void): boolean {
  const pid = runningPid(runDir, spec.name, spec.command);
  if (pid !== undefined) {
    say(`  ${spec.name}: already running (pid ${pid})`);
    return false;
  }
  const started = startDetached(runDir, spec);
  say(`  ${spec.name}: started (pid ${started}, log ${logFile(runDir, spec.name)})`);
  return true;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops a part: SIGTERM to its process group, then SIGKILL after `graceMs`. */
export async function stopProcess(
  runDir: string,
  name: string,
  command: string,
  graceMs = 10_000,
): Promise<boolean> {
  const pid = runningPid(runDir, name, command);
  if (pid === undefined) return false;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) signal("SIGKILL");
  while (alive(pid)) await sleep(100);
  rmSync(pidFile(runDir, name), { force: true });
  return true;
}

/** Polls `check` until it returns true or `timeoutMs` passes; says what it waits for every 10s. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { readonly timeoutMs: number; readonly say?: (line: string) => void; readonly logHint?: string },
): Promise<void> {
  const started = Date.now();
  let lastSaid = started;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not ready yet.
    }
    if (Date.now() - started > opts.timeoutMs) {
      throw new Error(
        `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}` +
          (opts.logHint ? `; see ${opts.logHint}` : ""),
      );
    }
    if (opts.say && Date.now() - lastSaid > 10_000) {
      opts.say(`  waiting for ${what} (${Math.round((Date.now() - started) / 1000)}s)`);
      lastSaid = Date.now();
    }
    await sleep(500);
  }
}
