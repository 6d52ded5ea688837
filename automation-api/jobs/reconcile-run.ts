import { stackPolicyContext } from "../domain/policy-context.js";
import { openProjectSecrets } from "../domain/project-secrets.js";
import type { Drift } from "../runner/runner.js";
import { EngineFailure } from "../runner/runner.js";
import { ReconcileRows } from "../store/reconciles.js";
import type { ProjectRow, ReconcileRow } from "../store/schema.js";
import { failureReason } from "./member-failure.js";
import { isFailing, nextDelaySeconds, reconcileSettings } from "./reconcile-schedule.js";
import { errorMessage, runStack, type StackRunContext, type StackRunJob } from "./stack-run.js";

/** The words a member reads for one drifted resource: its kind, its name, what happened to it. */
export function describeDrift(drift: Drift): string {
  const kind = drift.resourceType.split(":").at(-1) ?? drift.resourceType;
  const name = drift.urn.split("::").at(-1) ?? drift.urn;
  const what =
    drift.op === "create"
      ? "was deleted"
      : drift.op === "delete"
        ? "was added"
        : drift.op === "update"
          ? `was changed${drift.properties?.length ? ` (${drift.properties.join(", ")})` : ""}`
          : `was changed and is replaced`;
  return `${kind} ${name} ${what}`;
}

/** The message of a repair: what drifted, in one sentence. */
export function repairMessage(drift: readonly Drift[]): string {
  return `repaired drift: ${drift.map(describeDrift).join("; ")}`;
}

/**
 * One reconcile of a project's stack, holding its lock: a member's change that is due runs
 * first (as a normal run); otherwise the stack is compared with its cluster, and drift is
 * repaired by an `up` with refresh under an operation of its own, which the member sees. A
 * reconcile that finds nothing only updates the project's reconcile record.
 */
export async function reconcileStack(context: StackRunContext, job: StackRunJob): Promise<void> {
  const { store } = context;
  const rows = new ReconcileRows(store.db);
  const project = await store.findProjectById(job.data.projectId);
  if (!project) return;
  const dead = await store.runningRuns(project.id);
  const pending = await store.pendingOperationCount(project.id);
  if (
    pending > 0 ||
    dead.length > 0 ||
    project.needsRecovery ||
    project.status !== "active" ||
    project.appliedRevision < project.revision
  ) {
    // The member's change brings the stack to its spec; the next reconcile looks at the result.
    await runStack(context, job);
    return;
  }
  const zone = context.zones.get(project.zone);
  if (!zone) return;
  const settings = reconcileSettings(zone);
  const previous = await rows.find(project.id);
  const failed = (message: string, operationId: string | null) =>
    recordFailure(context, project, previous, message, operationId);

  let drift: Drift[];
  const started = Date.now();
  try {
    drift = await context.runner.drift({
      project: project.name,
      zone,
      spec: project.spec,
      secrets: await openProjectSecrets(store, context.secrets, project),
      policy: await stackPolicyContext(store, project, zone, context.allowedRegistries),
      onEvent: () => undefined,
    });
  } catch (error) {
    const detail = errorMessage(error);
    context.logger.warn({ err: error }, "looking for drift failed");
    const reason =
      error instanceof EngineFailure
        ? failureReason(detail, zone.postgres.adminUser)
        : "the comparison stopped before it finished";
    await failed(`looking for drift failed: ${reason}`, null);
    return;
  }
  context.logger.info(
    { seconds: (Date.now() - started) / 1000, drifted: drift.length },
    drift.length === 0 ? "compared with its cluster: in sync" : "compared with its cluster: drifted",
  );
  if (drift.length === 0) {
    context.metrics?.reconciled(project.zone, "in-sync");
    await rows.record(project.id, {
      result: "in-sync",
      message: null,
      operationId: null,
      failures: 0,
      nextAt: after(nextDelaySeconds(settings, 0)),
    });
    return;
  }

  const message = repairMessage(drift);
  context.logger.info({ drift: message }, "repairing drift");
  const operation = await store.transaction(async (queries) => {
    const inserted = await queries.insertOperation({
      userId: project.userId,
      projectId: project.id,
      project: project.name,
      zone: project.zone,
      kind: "update",
      request: "reconcile",
      revision: project.revision,
      status: "queued",
    });
    await context.bus.notify(queries, [inserted.id]);
    return inserted;
  });
  const driftEvent = {
    type: "drift",
    data: {
      message,
      resources: drift.map((item) => ({
        urn: item.urn,
        resourceType: item.resourceType,
        op: item.op,
        ...(item.properties ? { properties: item.properties } : {}),
      })),
    },
  };
  try {
    await runStack(context, job, { refresh: true, events: [driftEvent] });
  } catch (error) {
    // The queue retries the job; its run recovers the stack (with a refresh) and repairs.
    await failed(`repairing drift stopped before it finished (${message})`, operation.id);
    throw error;
  }
  const finished = await store.findOperation(operation.id);
  if (finished?.status === "succeeded") {
    context.metrics?.reconciled(project.zone, "repaired");
    await rows.describeRepair(operation.id, message);
    await context.bus.notify(store, [operation.id]);
    await rows.record(project.id, {
      result: "repaired",
      message,
      operationId: operation.id,
      failures: 0,
      nextAt: after(nextDelaySeconds(settings, 0)),
    });
    return;
  }
  await failed(finished?.message ?? `repairing drift failed (${message})`, operation.id);
}

/**
 * A failed reconcile waits longer each time (doubling, capped) rather than retrying at once; the
 * one that makes the project `failing` is reported to the member as a failed operation of its
 * own, so that a stack nobody can repair says so once, not on every attempt.
 */
async function recordFailure(
  context: StackRunContext,
  project: ProjectRow,
  previous: ReconcileRow | undefined,
  message: string,
  operationId: string | null,
): Promise<void> {
  const zone = context.zones.get(project.zone);
  if (!zone) return;
  const settings = reconcileSettings(zone);
  const failures = (previous?.failures ?? 0) + 1;
  const wait = nextDelaySeconds(settings, failures);
  const nextAt = after(wait);
  const report =
    isFailing(settings, failures) && !isFailing(settings, failures - 1)
      ? `reconcile failed ${failures} times in a row (last: ${message}); retrying less often, next at ${nextAt.toISOString()}`
      : undefined;
  context.metrics?.reconciled(project.zone, "failed");
  if (report) context.logger.warn({ failures }, report);
  await context.store.transaction(async (queries) => {
    await new ReconcileRows(queries.db).record(project.id, {
      result: "failed",
      message,
      operationId,
      failures,
      nextAt,
    });
    if (!report) return;
    const now = new Date();
    const inserted = await queries.insertOperation({
      userId: project.userId,
      projectId: project.id,
      project: project.name,
      zone: project.zone,
      kind: "update",
      request: "reconcile",
      revision: project.revision,
      status: "failed",
      message: report,
      startedAt: now,
      finishedAt: now,
    });
    await context.bus.notify(queries, [inserted.id]);
  });
}

function after(seconds: number): Date {
  return new Date(Date.now() + seconds * 1000);
}
