import type PgBoss from "pg-boss";
import { stackPolicyContext } from "../domain/policy-context.js";
import { openProjectSecrets, SecretsDisabledError } from "../domain/project-secrets.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { StackJob } from "../domain/project-requests.js";
import type { ProjectSecrets } from "../../stacks/project/secrets.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { Runner, RunEvent, RunResult } from "../runner/runner.js";
import { EngineFailure, ServiceRefusal } from "../runner/runner.js";
import type { Store } from "../store/store.js";
import { addLogContext, addLogSecrets, type Logger } from "../observability/log.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import type { EventBus } from "./event-bus.js";
import { EventRecorder, runEventRow } from "./event-recorder.js";
import { failureReason, memberEvent, memberMessage, policyRefusals } from "./member-failure.js";

/** What a run of a stack needs besides its job. */
export interface StackRunContext {
  readonly store: Store;
  readonly runner: Runner;
  readonly zones: ZoneCatalog;
  readonly bus: EventBus;
  /** Who runs it, recorded with the run. */
  readonly worker: string;
  /** Registries the image-registries policy allows; empty allows any. */
  readonly allowedRegistries: readonly string[];
  /** Opens the project's secret values for the run. */
  readonly secrets?: SecretBox;
  readonly logger: Logger;
  readonly metrics?: ServiceMetrics;
  /** Aborted when the service stops and the grace period is over: the run is handed back. */
  readonly signal?: AbortSignal;
}

/**
 * The run was stopped because the service is stopping: its stack is marked for recovery and its
 * operations stay open, for the next job of the stack (here or on another instance) to finish.
 */
export class RunHandedBack extends Error {
  constructor(readonly stackName: string) {
    super(`the run of stack ${stackName} was handed back: the service is stopping`);
    this.name = "RunHandedBack";
  }
}

export type StackRunJob = PgBoss.JobWithMetadata<StackJob>;

/**
 * Run and operation bookkeeping of one attempt: recover a stack a dead run left, `up` or
 * `destroy` it with the project's latest spec, record events, outputs and the outcome.
 */
/** What a caller may add to a run: the reconciler repairs drift with it. */
export interface StackRunOptions {
  /** Reads the live objects first, so that `up` repairs what changed behind the stack's back. */
  readonly refresh?: boolean;
  /** Events recorded right after the run starts, e.g. the drift that the run repairs. */
  readonly events?: readonly { type: string; data: Record<string, unknown> }[];
}

/** One attempt at a stack, holding its lock. Throws when the attempt died, so the queue retries it. */
export async function runStack(
  context: StackRunContext,
  job: StackRunJob,
  options: StackRunOptions = {},
): Promise<void> {
  const { store } = context;
  const project = await store.findProjectById(job.data.projectId);
  if (!project) return;
  // Runs still marked running while we hold the lock lost their worker.
  const dead = await store.runningRuns(project.id);
  for (const run of dead) await store.finishRun(run.id, "interrupted", "the worker running it stopped");
  const needsRecovery = project.needsRecovery || dead.length > 0;
  const pending = await store.pendingOperationCount(project.id);
  if (
    pending === 0 &&
    project.appliedRevision >= project.revision &&
    project.status === "active" &&
    !needsRecovery
  ) {
    return; // An earlier run already deployed everything this job was for.
  }
  const zone = context.zones.get(project.zone);
  const kind = project.status === "deleting" ? "destroy" : "update";
  const run = await store.insertRun({
    jobId: job.id,
    projectId: project.id,
    stack: job.data.stack,
    kind,
    revision: project.revision,
    attempt: job.retryCount + 1,
    worker: context.worker,
  });
  const started = Date.now();
  const claimed = await store.claimOperations(project.id, project.revision, run.id);
  const operations = claimed.map((operation) => operation.id);
  addLogContext({ runId: run.id, operationIds: operations });
  context.logger.info({ kind, revision: project.revision, attempt: job.retryCount + 1 }, "run started");
  const finished = (outcome: "succeeded" | "failed" | "interrupted" | "handed-back") =>
    context.metrics?.runFinished(kind, outcome, (Date.now() - started) / 1000);
  const events = new EventRecorder(store, context.bus, run.id, operations);
  events.push({
    type: "run",
    data: { phase: "started", kind, revision: project.revision, attempt: job.retryCount + 1 },
  });
  for (const event of options.events ?? []) events.push(event);
  // Members see the engine's words only once the zone's internals are out; the run's id is the
  // reference under which the log keeps them whole.
  const adminUser = zone?.postgres.adminUser;
  const policyEvents: RunEvent[] = [];
  try {
    if (!zone) throw new ServiceRefusal(`zone '${project.zone}' is no longer offered by this service`);
    const onEvent = (event: RunEvent) => {
      if (event.type === "policy") policyEvents.push(event);
      if (event.type === "diagnostic" && event.severity === "error") {
        context.logger.warn({ urn: event.urn, engineMessage: event.message }, "engine error");
      }
      events.push(runEventRow(memberEvent(event, adminUser)));
    };
    if (needsRecovery) {
      events.push({
        type: "run",
        data: { phase: "recovering", message: "recovering the stack left by a run that died" },
      });
      context.logger.info("recovering the stack left by a run that died");
      await context.runner.recover({ project: project.name, zone }, onEvent);
      await store.setNeedsRecovery(project.id, false);
    }
    let secrets;
    try {
      secrets = kind === "update" ? await openProjectSecrets(store, context.secrets, project) : undefined;
    } catch (error) {
      if (error instanceof SecretsDisabledError) throw new ServiceRefusal(error.message);
      throw error;
    }
    if (secrets) addLogSecrets(secretValues(secrets));
    const request = {
      project: project.name,
      zone,
      spec: project.spec,
      secrets,
      policy: await stackPolicyContext(store, project, zone, context.allowedRegistries),
      onEvent,
      signal: context.signal,
      ...(options.refresh ? { refresh: true } : {}),
    };
    // The engine only hears an abort that comes after it started.
    context.signal?.throwIfAborted();
    const result: RunResult =
      kind === "update" ? await context.runner.up(request) : await context.runner.destroy(request);
    events.push({ type: "run", data: { phase: "succeeded", changes: result.changes } });
    await events.flush();
    await store.transaction(async (queries) => {
      await queries.finishRun(run.id, "succeeded", null);
      if (kind === "update") {
        await queries.finishOperations(operations, "succeeded", null);
        await queries.recordApplied(project.id, project.revision, result.outputs);
      } else {
        // Changes still waiting when the project was deleted never reached the cluster.
        const [destroys, updates] = partition(claimed, (operation) => operation.kind === "destroy");
        await queries.finishOperations(ids(destroys), "succeeded", null);
        await queries.finishOperations(ids(updates), "failed", "superseded: the project was deleted");
        await queries.deleteProject(project.id);
      }
      await context.bus.notify(queries, operations);
    });
    finished("succeeded");
    context.logger.info({ kind, changes: result.changes }, "run succeeded");
  } catch (error) {
    const detail = errorMessage(error);
    const what = kind === "update" ? "updating the project's stack" : "deleting the project's stack";
    if (context.signal?.aborted) {
      await handBack(context, { runId: run.id, projectId: project.id, operations, detail, events });
      finished("handed-back");
      throw new RunHandedBack(job.data.stack);
    }
    if (error instanceof EngineFailure) {
      const refusals = policyRefusals(policyEvents);
      const reason =
        error instanceof ServiceRefusal
          ? detail
          : refusals.length > 0
            ? refusals.join("; ")
            : failureReason(detail, adminUser);
      const message = memberMessage(`${what} failed`, reason, run.id);
      context.logger.warn({ kind, engineMessage: detail }, "run failed");
      context.metrics?.engineFailed(
        kind,
        error instanceof ServiceRefusal ? "service" : refusals.length > 0 ? "policy" : "engine",
      );
      events.push({ type: "run", data: { phase: "failed", message } });
      await events.flush();
      await store.transaction(async (queries) => {
        // The run keeps the engine's full text: runs are the operators', never shown to members.
        await queries.finishRun(run.id, "failed", detail);
        await queries.finishOperations(operations, "failed", message);
        await context.bus.notify(queries, operations);
      });
      finished("failed");
      return;
    }
    const last = job.retryCount >= job.retryLimit;
    const attempts = job.retryCount + 1;
    const reason = failureReason(detail, adminUser, "the run stopped before it finished");
    const message = memberMessage(`${what}, attempt ${attempts}, failed`, reason, run.id);
    events.push({
      type: "run",
      data: { phase: "interrupted", message, retry: !last },
    });
    await events.flush();
    await store.transaction(async (queries) => {
      await queries.finishRun(run.id, "interrupted", detail);
      await queries.setNeedsRecovery(project.id, true);
      if (last) {
        await queries.finishOperations(
          operations,
          "failed",
          memberMessage(`${what} failed after ${attempts} attempts`, reason, run.id),
        );
      }
      await context.bus.notify(queries, operations);
    });
    finished("interrupted");
    context.logger.error({ kind, attempt: attempts, err: error }, "run died");
    throw error;
  }
}

/**
 * Ends a run the service's shutdown stopped: the run is `interrupted`, the stack is marked for
 * recovery (the engine may have left it locked or with pending operations), and the operations
 * stay `running` for the stack's next job to claim, without counting as a failed attempt.
 */
async function handBack(
  context: StackRunContext,
  run: {
    runId: string;
    projectId: string;
    operations: string[];
    detail: string;
    events: EventRecorder;
  },
): Promise<void> {
  const message = "the service stopped during the run; the stack's next run takes over";
  run.events.push({ type: "run", data: { phase: "interrupted", message, retry: true } });
  await run.events.flush();
  await context.store.transaction(async (queries) => {
    await queries.finishRun(run.runId, "interrupted", `handed back at shutdown: ${run.detail}`);
    await queries.setNeedsRecovery(run.projectId, true);
    await context.bus.notify(queries, run.operations);
  });
  context.logger.warn("run handed back: the service is stopping");
}

/** Every decrypted value of a run, to keep out of the log. */
function secretValues(secrets: ProjectSecrets): string[] {
  const values: string[] = [];
  for (const app of Object.values(secrets.env)) values.push(...Object.values(app));
  for (const registry of secrets.registries) values.push(registry.password);
  return values;
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

function ids(items: readonly { id: string }[]): string[] {
  return items.map((item) => item.id);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
