/**
 * What a benchmark's work cost the machine, read from /proc: CPU seconds of this process and of
 * the processes it started and reaped (the engine's CLI reaps its plugins, so they count), the
 * share of the machine's CPU time that was busy, and the peak memory of this process (the
 * service) and of its live descendants together (the engine processes of the runs under way).
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** User and system CPU seconds of this process plus its reaped children (`/proc/self/stat`). */
export function cpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // Fields after the command name, which may hold spaces, closed by the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return ((utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0)) / TICKS_PER_SECOND;
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
