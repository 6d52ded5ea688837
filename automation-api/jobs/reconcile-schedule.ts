import { ReconcileSettingsSchema, type ReconcileSettings, type ZoneSpec } from "../../spec/zone.js";

/**
 * The queue priority of reconcile jobs. Members' jobs have priority minus their backlog (0, -1,
 * …), so the queue starts every member's waiting job before any reconcile: a reconcile only
 * takes a worker nobody's request is waiting for.
 */
export const RECONCILE_PRIORITY = -1_000_000;

/** How much each wait is spread, as a fraction of it, so projects drift apart rather than align. */
export const JITTER = 0.1;

/** A zone's reconcile settings with their defaults. */
export function reconcileSettings(zone: Pick<ZoneSpec, "reconcile">): ReconcileSettings {
  return zone.reconcile ?? ReconcileSettingsSchema.parse({});
}

/**
 * When a project first comes due: anywhere within one interval, so that the projects of a zone
 * that starts (or of a service that restarts) do not all reconcile at once.
 */
export function firstDelaySeconds(settings: ReconcileSettings, random: () => number = Math.random): number {
  return settings.intervalSeconds * random();
}

/**
 * The wait before the next reconcile of a project after `failures` failures in a row: the
 * interval, doubled per failure up to the cap, spread by ±10%. The cap never undercuts the
 * interval itself.
 */
export function nextDelaySeconds(
  settings: ReconcileSettings,
  failures: number,
  random: () => number = Math.random,
): number {
  const cap = Math.max(settings.maxBackoffSeconds, settings.intervalSeconds);
  const base = Math.min(settings.intervalSeconds * 2 ** Math.min(failures, 30), cap);
  return base * (1 - JITTER + 2 * JITTER * random());
}

/** Whether a project's reconciles have failed often enough to be reported as failing. */
export function isFailing(settings: ReconcileSettings, failures: number): boolean {
  return failures >= settings.reportAfterFailures;
}

/**
 * How often the scheduler looks for projects that are due: a tenth of the shortest interval of
 * the zones, between 1 and 30 seconds, so that a project is enqueued at most that late.
 */
export function tickSeconds(zones: readonly Pick<ZoneSpec, "reconcile">[]): number {
  const shortest = Math.min(...zones.map((zone) => reconcileSettings(zone).intervalSeconds));
  if (!Number.isFinite(shortest)) return 30;
  return Math.min(30, Math.max(1, shortest / 10));
}
