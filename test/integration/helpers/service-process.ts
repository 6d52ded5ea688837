import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { repoRoot } from "../../../localzone/paths.js";
import { serviceNodeFlags } from "../../../automation-api/start-flags.js";

/** `npm start`'s program running as a process of its own. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Where it listens, as it printed it. */
  readonly url: string;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  /** Resolves with its exit code once it has exited. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `automation-api/main.ts` with the node flags `npm start` gives it and `env` added to
 * this process's environment, and waits until it listens (PORT 0: any free port). It runs in a
 * process group of its own, so that killing it reaches the engine processes it starts.
 * `onOutput` sees everything it writes.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  onOutput: (chunk: string) => void = () => {},
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", ...serviceNodeFlags(), "automation-api/main.ts"],
    {
      cwd: repoRoot,
      env: { ...process.env, PORT: "0", ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput(chunk.toString());
  };
  child.stderr?.on("data", keep);
  child.stdout?.on("data", keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start: ${output}`)), 120_000);
    child.stdout?.on("data", () => {
      const match = /pluskube listening on (http:\/\/[^\s"]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}): ${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

/** The machine's processes: id, parent, command name and full command line. */
export function processTable(): { pid: number; ppid: number; comm: string; args: string }[] {
  return execFileSync("ps", ["-eo", "pid=,ppid=,comm=,args="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => {
      const [pid = "", ppid = "", comm = "", ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), comm, args: args.join(" ") };
    });
}

/** Every process started under `pid`, found through their parents. */
export function descendants(pid: number, table = processTable()): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const row of table) {
      if (row.ppid === parent) {
        found.push(row.pid);
        visit(row.pid);
      }
    }
  };
  visit(pid);
  return found;
}

/**
 * Kills the service as a crash would, with everything it started: the engine puts its plugins
 * (the policy pack's language host, providers) in process groups of their own, so the service's
 * group alone would leave them running. Their ids are collected before anything is killed.
 */
export function killService(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  for (const pid of [child.pid, ...descendants(child.pid)]) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
