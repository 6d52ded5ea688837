import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/pluskube.js", import.meta.url));

/** How one run of the CLI ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The environment beside PATH and HOME; no PLUSKUBE_ variable is inherited. */
  readonly env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Called with everything printed so far, each time more arrives (terminal runs only). */
  readonly onStdout?: (soFar: string) => void;
}

/**
 * Runs `pluskube ARGS` as a subprocess, the way a member's shell does, without blocking the
 * event loop (the service under test runs in this process).
 */
export function pluskube(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return startPluskube(args, options).done;
}

/** A running `pluskube ARGS`: what it printed so far, and how it ends. */
export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  readonly done: Promise<CliRun>;
}

export function startPluskube(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/root", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end(options.input ?? "");
  const done = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pluskube ${args.join(" ")} did not end: ${stdout} ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, done };
}

/**
 * Runs `pluskube ARGS` on a pseudo-terminal (util-linux `script`), as a member at a terminal
 * does; stdout and stderr arrive together as the terminal shows them.
 */
export function pluskubeOnTerminal(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? "/root",
      TERM: "xterm",
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    options.onStdout?.(stdout);
  });
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr: "" }));
  });
}

/** A fresh folder for a profiles file, as `PLUSKUBE_CONFIG` names it. */
export function freshConfig(): string {
  return join(mkdtempSync(join(tmpdir(), "pluskube-cli-")), "profiles.json");
}

/** An HTTP server that records every request it gets and answers 500: the CLI must not call it. */
export async function recordingServer(): Promise<{
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    res.statusCode = 500;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
