import { existsSync, statSync, utimesSync } from "node:fs";

/**
 * How long a cached build that no run has asked for is kept before a newer build of the same
 * component deletes it. Other clones and branches on the machine share the cache and may still
 * use an older build (an integration run in one of them would lose its images mid-run).
 */
export const UNUSED_BUILD_DAYS = 14;

/** Records that a cached build was used now (its marker file's modification time). */
export function markUsed(marker: string): void {
  const now = new Date();
  try {
    utimesSync(marker, now, now);
  } catch {
    // A marker that vanished meanwhile is the next build's to recreate.
  }
}

/** Whether the build behind `marker` went unused for `days` (a missing marker counts as unused). */
export function unusedFor(marker: string, days = UNUSED_BUILD_DAYS, now = Date.now()): boolean {
  if (!existsSync(marker)) return true;
  return now - statSync(marker).mtimeMs > days * 24 * 60 * 60 * 1000;
}
