import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, rmSync } from "node:fs";

export interface RunResult {
  readonly code: number;
  readonly seconds: number;
  /** Peak resident memory of the command and its children, when `/usr/bin/time` is there. */
  readonly maxRssMb?: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** File that receives the command's stdout and stderr (appended). */
  readonly logFile: string;
  /** Called every `tickSeconds` while the command runs, with the elapsed seconds. */
  readonly onTick?: (seconds: number) => void;
  readonly tickSeconds?: number;
}

const GNU_TIME = "/usr/bin/time";

/** Runs a command with its output sent to a log file, measuring wall time and peak memory. */
export async function runLogged(
  command: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<RunResult> {
  const log = createWriteStream(opts.logFile, { flags: "a" });
  await new Promise<void>((resolve) => log.once("open", () => resolve()));
  log.write(`$ ${[command, ...args].join(" ")}\n`);
  const timeFile = `${opts.logFile}.time`;
  const measured = existsSync(GNU_TIME);
  const [cmd, argv] = measured ? [GNU_TIME, ["-v", "-o", timeFile, command, ...args]] : [command, [...args]];
  const started = Date.now();
  const child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const ticker = opts.onTick
    ? setInterval(() => opts.onTick?.((Date.now() - started) / 1000), (opts.tickSeconds ?? 30) * 1000)
    : undefined;
  const code = await new Promise<number>((resolve) => {
    child.once("error", (err) => {
      log.write(`${String(err)}\n`);
      resolve(127);
    });
    child.once("close", (status) => resolve(status ?? 1));
  });
  if (ticker) clearInterval(ticker);
  await new Promise<void>((resolve) => log.end(() => resolve()));
  const seconds = (Date.now() - started) / 1000;
  let maxRssMb: number | undefined;
  if (measured && existsSync(timeFile)) {
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, "utf8"))?.[1];
    if (kb) maxRssMb = Math.round(Number(kb) / 1024);
    rmSync(timeFile, { force: true });
  }
  return maxRssMb === undefined ? { code, seconds } : { code, seconds, maxRssMb };
}

/** The last `lines` lines of a log file. */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
