/**
 * What a benchmark's work cost the machine, read from /proc: CPU seconds of this process and of
 * the processes it started and reaped (the engine's CLI reaps its plugins, so they count), the
 * share of the machine's CPU time that was busy, and the peak memory of this process (the
 * service) and of its live descendants together (the engine processes of the runs under way).
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** A `/proc/<pid>/stat` line's command name and the fields after it. */
function parseStat(stat: string): { name: string; fields: string[] } {
  // The command name may hold spaces and parentheses; the last ")" closes it.
  const close = stat.lastIndexOf(")");
  return { name: stat.slice(stat.indexOf("(") + 1, close), fields: stat.slice(close + 2).split(" ") };
}

/** User and system CPU seconds of this process plus its reaped children (`/proc/self/stat`). */
export function cpuSeconds(): number {
  const { fields } = parseStat(readFileSync("/proc/self/stat", "utf8"));
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return ((utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0)) / TICKS_PER_SECOND;
}

/**
 * CPU seconds each live process of the machine has used, summed by command name: what the
 * zone's processes spent over a stretch, beside the engine's. Processes that ended within the
 * stretch are not seen; the engine's count in `cpuSeconds`, since this process reaps them.
 */
export function cpuByCommand(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // Gone meanwhile.
    }
    const { name, fields } = parseStat(stat);
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    totals.set(name, (totals.get(name) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  return totals;
}

/** What each command name spent between two readings of `cpuByCommand`. */
export function cpuSpent(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): [string, number][] {
  return [...after].map(([name, seconds]): [string, number] => [name, seconds - (before.get(name) ?? 0)]);
}

/** The machine's busy and total CPU ticks since boot (`/proc/stat`). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

function parentsAndRss(): Map<number, { parent: number; rssKiB: number }> {
  const processes = new Map<number, { parent: number; rssKiB: number }>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      processes.set(pid, { parent, rssKiB });
    } catch {
      // Gone meanwhile.
    }
  }
  return processes;
}

/** Resident memory of every live descendant of this process, together, in bytes. */
function descendantsRss(): number {
  const processes = parentsAndRss();
  let total = 0;
  for (const [pid, info] of processes) {
    let parent = info.parent;
    for (let depth = 0; parent > 1 && depth < 16; depth++) {
      if (parent === process.pid) {
        total += info.rssKiB * 1024;
        break;
      }
      parent = processes.get(parent)?.parent ?? 0;
    }
    void pid;
  }
  return total;
}

/** What one stretch of work cost. */
export interface ResourceFigures {
  readonly cpuSeconds: number;
  /** Busy share of all cores over the stretch, 0..1. */
  readonly machineBusy: number;
  readonly servicePeakRss: number;
  readonly enginePeakRss: number;
}

/** Samples memory every `intervalMs` from `start()` until `stop()`, which returns the figures. */
export class ResourceSampler {
  private timer: NodeJS.Timeout | undefined;
  private cpuAtStart = 0;
  private ticksAtStart = { busy: 0, total: 0 };
  private servicePeak = 0;
  private enginePeak = 0;

  constructor(private readonly intervalMs = 250) {}

  start(): void {
    this.cpuAtStart = cpuSeconds();
    this.ticksAtStart = machineTicks();
    this.servicePeak = process.memoryUsage().rss;
    this.enginePeak = 0;
    this.timer = setInterval(() => {
      this.servicePeak = Math.max(this.servicePeak, process.memoryUsage().rss);
      this.enginePeak = Math.max(this.enginePeak, descendantsRss());
    }, this.intervalMs);
  }

  stop(): ResourceFigures {
    if (this.timer) clearInterval(this.timer);
    const ticks = machineTicks();
    const total = ticks.total - this.ticksAtStart.total;
    return {
      cpuSeconds: cpuSeconds() - this.cpuAtStart,
      machineBusy: total > 0 ? (ticks.busy - this.ticksAtStart.busy) / total : 0,
      servicePeakRss: this.servicePeak,
      enginePeakRss: this.enginePeak,
    };
  }
}

export function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}
