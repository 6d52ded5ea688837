import type { Logger } from "../observability/log.js";
import type { Store } from "../store/store.js";

/** How long finished operations, their runs and events are kept when the config says nothing. */
export const RETENTION_DAYS_DEFAULT = 30;

/** How often a service process prunes when the config says nothing: hourly is plenty for days. */
export const PRUNE_INTERVAL_SECONDS_DEFAULT = 3600;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes operations that finished more than `retentionDays` ago, with the runs and events that
 * served only them. Unfinished operations stay whatever their age. Safe from several processes
 * at once: each delete takes what is there.
 */
export async function pruneFinished(
  store: Store,
  retentionDays: number,
  logger: Logger,
  now = new Date(),
): Promise<void> {
  const before = new Date(now.getTime() - retentionDays * DAY_MS);
  const pruned = await store.pruneFinished(before);
  if (pruned.operations > 0 || pruned.runs > 0) {
    logger.info(
      { operations: pruned.operations, runs: pruned.runs, before: before.toISOString() },
      "retention: pruned finished operations and runs",
    );
  }
}
