import type { ZoneSpec } from "../../spec/zone.js";
import { isFailing, reconcileSettings } from "../jobs/reconcile-schedule.js";
import type { ReconcileRow } from "../store/schema.js";

/**
 * Where a project's reconciles stand: `pending` before the first one, then the last result
 * (`in-sync`, `repaired`, `failed`), or `failing` once failures in a row reached the zone's
 * `reconcile.reportAfterFailures` and the reconciler backs off.
 */
export function presentReconcile(row: ReconcileRow | undefined, zone: ZoneSpec | undefined) {
  if (!row) {
    return { status: "pending", lastAt: null, lastResult: null, message: null, failures: 0, nextAt: null };
  }
  const failing = zone !== undefined && isFailing(reconcileSettings(zone), row.failures);
  return {
    status: failing ? "failing" : (row.lastResult ?? "pending"),
    lastAt: row.lastAt ? row.lastAt.toISOString() : null,
    lastResult: row.lastResult,
    message: row.lastMessage,
    failures: row.failures,
    nextAt: row.nextAt.toISOString(),
    ...(row.lastOperationId ? { lastRepair: `/v1/operations/${row.lastOperationId}` } : {}),
  };
}
