/**
 * What a benchmark's work cost the machine, read from /proc: CPU seconds of this process and of
 * the processes it started and reaped (the engine's CLI reaps its plugins, so they count), the
 * share of the machine's CPU time that was busy, and the peak memory of this process (the
 * service) and of its live descendants together (the engine processes of the runs under way).
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** A `/proc/<pid>/stat` line's command name and the fields after it. */
function parseStat(stat: string): { name: string; fields: string[] } {
  // The command name may hold spaces and parentheses; the last ")" closes it.
  const close = stat.lastIndexOf(")");
  return { name: stat.slice(stat.indexOf("(") + 1, close), fields: stat.slice(close + 2).split(" ") };
}

/** One live process as `/proc/<pid>/stat` tells it. */
export interface ProcessStat {
  readonly pid: number;
  readonly parent: number;
  /** The kernel's short command name (15 characters at most). */
  readonly name: string;
  /** Ticks since boot when it started: with the pid, names the process even if the pid is reused. */
  readonly startTime: string;
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** Every live process of the machine. */
export function liveProcesses(): ProcessStat[] {
  const found: ProcessStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // Gone meanwhile.
    }
    const { name, fields } = parseStat(stat);
    found.push({
      pid: Number(entry),
      parent: Number(fields[1]),
      name,
      startTime: fields[19] ?? "",
      cpuSeconds: (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / TICKS_PER_SECOND,
      rssBytes: Number(fields[21] ?? 0) * PAGE_BYTES,
    });
  }
  return found;
}

/** Every live process that descends from this one (the engine's CLI, its plugins, their children). */
export function liveDescendants(): ProcessStat[] {
  const processes = liveProcesses();
  const parents = new Map(processes.map(({ pid, parent }) => [pid, parent]));
  return processes.filter(({ pid }) => {
    let parent = parents.get(pid) ?? 0;
    for (let depth = 0; parent > 1 && depth < 16; depth++) {
      if (parent === process.pid) return true;
      parent = parents.get(parent) ?? 0;
    }
    return false;
  });
}

/** User and system CPU seconds of this process, and of the children it reaped (`/proc/self/stat`). */
export function cpuOwnAndChildren(): { own: number; children: number } {
  const { fields } = parseStat(readFileSync("/proc/self/stat", "utf8"));
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i] ?? 0));
  return {
    own: ((utime ?? 0) + (stime ?? 0)) / TICKS_PER_SECOND,
    children: ((cutime ?? 0) + (cstime ?? 0)) / TICKS_PER_SECOND,
  };
}

/** User and system CPU seconds of this process plus its reaped children. */
export function cpuSeconds(): number {
  const { own, children } = cpuOwnAndChildren();
  return own + children;
}

/** CPU seconds each live process of the machine has used, by process, with its command name. */
export type CpuReading = ReadonlyMap<string, { readonly name: string; readonly cpuSeconds: number }>;

/**
 * Reads every live process's CPU seconds: two readings give what the zone's processes spent over
 * a stretch, beside the engine's. Processes that ended within the stretch are not seen; the
 * engine's count in `cpuSeconds`, since this process reaps them.
 */
export function cpuByProcess(): CpuReading {
  return new Map(
    liveProcesses().map(({ pid, startTime, name, cpuSeconds }) => [
      `${pid}@${startTime}`,
      { name, cpuSeconds },
    ]),
  );
}

/**
 * What each command name spent between two readings, each process compared with itself: a
 * kernel worker renames itself after the work it runs (`kworker/u8:0-events_unbound`), so
 * readings compared by name counted a renamed worker's whole life; kernel workers are summed as
 * `kworker`. A process started within the stretch counts from nothing.
 */
export function cpuSpent(before: CpuReading, after: CpuReading): [string, number][] {
  const spent = new Map<string, number>();
  for (const [id, { name, cpuSeconds }] of after) {
    const command = name.startsWith("kworker/") ? "kworker" : name;
    spent.set(command, (spent.get(command) ?? 0) + cpuSeconds - (before.get(id)?.cpuSeconds ?? 0));
  }
  return [...spent];
}

/** The machine's busy and total CPU ticks since boot (`/proc/stat`). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Resident memory of every live descendant of this process, together, in bytes. */
function descendantsRss(): number {
  return liveDescendants().reduce((sum, { rssBytes }) => sum + rssBytes, 0);
}

/** The busy share of all cores between two readings of `machineTicks`, 0..1. */
function busyBetween(
  before: { busy: number; total: number },
  after: { busy: number; total: number },
): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** The busy share of all cores over the next `ms`, 0..1. */
export async function machineBusy(ms: number): Promise<number> {
  const before = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return busyBetween(before, machineTicks());
}

/**
 * Microseconds since boot in which at least one task was ready to run and waited for a core
 * (`/proc/pressure/cpu`); `undefined` where the kernel does not report it. Over a stretch, the
 * share of its time that work queued for the machine's cores, whichever process it was.
 */
export function cpuWaitMicros(): number | undefined {
  try {
    const some = readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0] ?? "";
    const total = /total=(\d+)/.exec(some)?.[1];
    return total === undefined ? undefined : Number(total);
  } catch {
    return undefined;
  }
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
    this.servicePeak = process.memoryUsage.rss();
    this.enginePeak = 0;
    this.timer = setInterval(() => {
      this.servicePeak = Math.max(this.servicePeak, process.memoryUsage.rss());
      this.enginePeak = Math.max(this.enginePeak, descendantsRss());
    }, this.intervalMs);
  }

  stop(): ResourceFigures {
    if (this.timer) clearInterval(this.timer);
    return {
      cpuSeconds: cpuSeconds() - this.cpuAtStart,
      machineBusy: busyBetween(this.ticksAtStart, machineTicks()),
      servicePeakRss: this.servicePeak,
      enginePeakRss: this.enginePeak,
    };
  }
}

export function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}
