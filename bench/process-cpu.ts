/**
 * CPU time of the machine's processes by command name, read from /proc: what the zone's own
 * processes (API server, etcd, controllers, network policy controller) spent over a stretch of a
 * benchmark, beside the engine's. Processes that ended within the stretch are not seen; the
 * engine's are counted in the benchmark's own figure, since it reaps them.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** CPU seconds each live process has used since it started, summed by command name. */
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
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    totals.set(name, (totals.get(name) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  return totals;
}

/** What each command name spent between two readings, largest first, above `atLeast` seconds. */
export function cpuSpent(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  atLeast = 0.05,
): [string, number][] {
  return [...after]
    .map(([name, seconds]): [string, number] => [name, seconds - (before.get(name) ?? 0)])
    .filter(([, seconds]) => seconds >= atLeast)
    .sort((a, b) => b[1] - a[1]);
}
