import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dataDir } from "../../../localzone/paths.js";

/**
 * Test runs that share one machine share its local zone: each run holds a lease (a file named
 * by its pid) while it uses the zone, and the last one to leave stops it.
 */
function leaseDir(): string {
  return join(dataDir(), "localzone.leases");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function takeZoneLease(): void {
  mkdirSync(leaseDir(), { recursive: true });
  writeFileSync(join(leaseDir(), String(process.pid)), "");
}

/** Whether a live run other than this one holds a lease (dead runs' leases are dropped). */
export function otherRunsUseZone(): boolean {
  const others = readdirSync(leaseDir()).filter((name) => {
    if (name === String(process.pid)) return false;
    const pid = Number(name);
    if (Number.isInteger(pid) && alive(pid)) return true;
    rmSync(join(leaseDir(), name), { force: true });
    return false;
  });
  return others.length > 0;
}

/** Drops this run's lease; true when no other live run holds one. */
export function dropZoneLease(): boolean {
  rmSync(join(leaseDir(), String(process.pid)), { force: true });
  return !otherRunsUseZone();
}
