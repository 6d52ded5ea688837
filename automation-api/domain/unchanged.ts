import type { ProjectSpec } from "../../spec/project.js";
import type { ProjectRow } from "../store/schema.js";
import type { Queries } from "../store/store.js";
import { ReconcileRows } from "../store/reconciles.js";

/** The member's words on an operation that needed no run. */
export const UNCHANGED_MESSAGE = "nothing to change: the project already runs this spec";

/** JSON with each object's keys in order, so that two equal specs read the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

export function sameSpec(a: ProjectSpec, b: ProjectSpec): boolean {
  return canonical(a) === canonical(b);
}

/**
 * Whether the stack runs the project's spec as far as the service knows: its last revision was
 * applied, nothing waits or runs, no dead run left it to recover, and the last look for drift did
 * not fail. A request for the same spec then has nothing for the engine to do; drift that came
 * after that look is the reconciler's to find and repair.
 */
export async function stackSettled(queries: Queries, project: ProjectRow): Promise<boolean> {
  if (project.status !== "active" || project.needsRecovery || project.appliedRevision < project.revision) {
    return false;
  }
  if ((await queries.pendingOperationCount(project.id)) > 0) return false;
  const reconcile = await new ReconcileRows(queries.db).find(project.id);
  return reconcile?.lastResult !== "failed";
}
