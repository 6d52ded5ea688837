/**
 * CPU seconds of this process's descendants by program, sampled while they live: the engine's
 * CLI reaps its plugins itself, so their time reaches this process only as the CLI's, and a
 * split between the CLI, the language host's program, each provider and the policy pack has to
 * be read from /proc before each of them exits. A process's last reading counts; what it spent
 * after that (at most one interval) is missed.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { liveDescendants } from "./resource-sampler.js";

/** The program a command line runs: a Node.js script's name rather than `node`'s. */
function program(pid: number): string {
  const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const first = basename(args[0] ?? "?");
  if (first !== "node") return first;
  if (args.includes("-e") || args.includes("--eval")) return "node (inline script)";
  const script = args.slice(1).find((arg) => !arg.startsWith("-"));
  return `node ${script ? basename(script) : ""}`.trim();
}

export class DescendantCpu {
  // Keyed by pid and start time: a pid used again within a stretch is another process.
  private readonly seen = new Map<string, { program: string; seconds: number }>();
  private readonly baseline = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 200) {}

  start(): void {
    this.seen.clear();
    this.baseline.clear();
    // A descendant that lives across stretches (tsx's esbuild, a zone this process started)
    // counts only what it spends from here on.
    this.sample();
    for (const [key, { seconds }] of this.seen) this.baseline.set(key, seconds);
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Seconds by program since `start`. */
  stop(): Map<string, number> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const totals = new Map<string, number>();
    for (const [key, { program: name, seconds }] of this.seen) {
      totals.set(name, (totals.get(name) ?? 0) + seconds - (this.baseline.get(key) ?? 0));
    }
    return totals;
  }

  private sample(): void {
    for (const { pid, startTime, cpuSeconds } of liveDescendants()) {
      const key = `${pid}:${startTime}`;
      try {
        const known = this.seen.get(key);
        this.seen.set(key, { program: known?.program ?? program(pid), seconds: cpuSeconds });
      } catch {
        // Gone meanwhile.
      }
    }
  }
}
