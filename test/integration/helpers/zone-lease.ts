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

/** Drops this run's lease; true when no other live run holds one. */
export function dropZoneLease(): boolean {
  rmSync(join(leaseDir(), String(process.pid)), { force: true });
  const others = readdirSync(leaseDir()).filter((name) => {
    const pid = Number(name);
    if (Number.isInteger(pid) && alive(pid)) return true;
    rmSync(join(leaseDir(), name), { force: true });
    return false;
  });
  return others.length === 0;
}
