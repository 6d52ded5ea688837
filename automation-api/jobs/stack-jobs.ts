import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import PgBoss from "pg-boss";
import type { ZoneSpec } from "../../spec/zone.js";
import { userQuota } from "../domain/fair-share.js";
import type { JobQueue, StackJob } from "../domain/project-requests.js";
import { projectPolicyContext } from "../domain/policy-context.js";
import { mapUsage, SHARE_KINDS } from "../../spec/usage.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { PolicyContext, Runner, RunEvent, RunResult } from "../runner/runner.js";
import { EngineFailure } from "../runner/runner.js";
import type { ProjectRow } from "../store/schema.js";
import type { Queries, Store } from "../store/store.js";
import type { EventBus } from "./event-bus.js";
import { EventRecorder, runEventRow } from "./event-recorder.js";
import { StackLocks } from "./stack-lock.js";

export const STACK_QUEUE = "stack-up";

export interface StackJobsOptions {
  readonly connectionString: string;
  readonly store: Store;
  readonly runner: Runner;
  readonly zones: ZoneCatalog;
  readonly bus: EventBus;
  /** Stacks run side by side, at most this many per process. Default 2. */
  readonly workers?: number;
  /** Attempts after the first when a run dies. Default 3. */
  readonly retryLimit?: number;
  /** Wait before a retry. Default 5 s. */
  readonly retryDelaySeconds?: number;
  /** Wait before looking again at a job whose stack is busy. Default 2 s. */
  readonly busyDelaySeconds?: number;
  /** A job active this long without its stack lock held has lost its worker. Default 15 s. */
  readonly deadWorkerGraceSeconds?: number;
  /** How often to look for jobs whose worker died. Default 10 s. */
  readonly sweepIntervalSeconds?: number;
  /** Default 1 s; wake-ups after a request make it matter little. */
  readonly pollingIntervalSeconds?: number;
  /** A run taking longer than this is failed by the queue and retried. Default 2 h. */
  readonly expireInSeconds?: number;
  /** Registries the image-registries policy allows; empty allows any. */
  readonly allowedRegistries?: readonly string[];
  readonly log?: (line: string) => void;
}

type Job = PgBoss.JobWithMetadata<StackJob>;

/**
 * The job queue of stacks, on pg-boss in the service's PostgreSQL.
 *
 * Coalescing: the queue's `short` policy keeps at most one waiting job per stack (singletonKey =
 * stack name); a request made while one waits adds nothing, since every job deploys the
 * project's latest spec when it starts. A job whose stack is already running elsewhere puts
 * itself back as that one waiting job, so at most one runs and one waits per stack, while
 * other stacks keep every worker busy. (The `stately` policy would keep one active per stack
 * too, but its fetch stalls on the first waiting job of a busy stack, blocking other stacks.)
 */
export class StackJobs implements JobQueue {
  readonly boss: PgBoss;
  private readonly locks: StackLocks;
  private readonly workerIds: string[] = [];
  private readonly worker = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly running = new Set<Promise<unknown>>();
  /** Jobs this process's workers took, which the sweeper must leave alone. */
  private readonly handling = new Set<string>();

  constructor(private readonly options: StackJobsOptions) {
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      // One connection per worker for fetching and completing, plus maintenance.
      max: (options.workers ?? 2) + 2,
    });
    this.boss.on("error", (error: Error) => this.log(`job queue: ${error.message}`));
    this.locks = new StackLocks(options.connectionString, this.workerCount + 2);
  }

  private get workerCount(): number {
    return this.options.workers ?? 2;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Creates the queue and starts the workers and the sweeper. */
  async start(): Promise<void> {
    await this.boss.start();
    const queue: PgBoss.Queue = {
      name: STACK_QUEUE,
      policy: "short",
      retryLimit: this.options.retryLimit ?? 3,
      retryDelay: this.options.retryDelaySeconds ?? 5,
      expireInSeconds: this.options.expireInSeconds ?? 7200,
    };
    await this.boss.createQueue(STACK_QUEUE, queue);
    await this.boss.updateQueue(STACK_QUEUE, queue);
    for (let i = 0; i < this.workerCount; i++) {
      const id = await this.boss.work<StackJob>(
        STACK_QUEUE,
        {
          batchSize: 1,
          includeMetadata: true,
          pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 1,
        },
        async ([job]) => {
          if (!job) return;
          this.handling.add(job.id);
          try {
            await this.track(this.handle(job));
          } finally {
            // Kept a while: the queue marks the job done only after this handler returns.
            setTimeout(() => this.handling.delete(job.id), 60_000).unref();
          }
        },
      );
      this.workerIds.push(id);
    }
    const every = (this.options.sweepIntervalSeconds ?? 10) * 1000;
    this.sweepTimer = setInterval(() => void this.sweep(), every);
    this.sweepTimer.unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.boss.stop({ graceful: true, timeout: 30_000, wait: true });
    await Promise.allSettled([...this.running]);
    await this.locks.close();
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    try {
      return await work;
    } finally {
      this.running.delete(work);
    }
  }

  async enqueue(queries: Queries, job: StackJob): Promise<void> {
    await this.boss.send(STACK_QUEUE, job, { singletonKey: job.stack, db: queries.executor });
  }

  wake(): void {
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  private async handle(job: Job): Promise<void> {
    const lock = await this.locks.tryLock(job.data.stack);
    if (!lock) {
      // The stack runs elsewhere: become (or fold into) its one waiting job, then finish this one.
      // Looks again soon, then less often while a long run goes on (at most every 30 s).
      const waits = (job.data.waits ?? 0) + 1;
      const delay = Math.min(30, (this.options.busyDelaySeconds ?? 2) * 2 ** Math.min(waits - 1, 5));
      await this.boss.send(STACK_QUEUE, { ...job.data, waits } satisfies StackJob, {
        singletonKey: job.data.stack,
        startAfter: delay,
      });
      return;
    }
    try {
      await this.runLocked(job);
    } finally {
      await lock.release();
      await this.hurryWaiting(job.data.stack).catch(() => undefined);
    }
  }

  /**
   * Lets the stack's waiting job (if any) start now rather than after the delay it set itself
   * while the stack was busy. pg-boss has no call for this; its job table is public SQL.
   */
  private async hurryWaiting(stack: string): Promise<void> {
    const { rows } = await this.options.store.executor.executeSql(
      `update pgboss.job set start_after = now()
       where name = $1 and singleton_key = $2 and state = 'created' and start_after > now() returning id`,
      [STACK_QUEUE, stack],
    );
    if (rows.length > 0) this.wake();
  }

  /** One attempt at a stack, holding its lock. Throws when the attempt died, so the queue retries it. */
  private async runLocked(job: Job): Promise<void> {
    const { store } = this.options;
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
    const zone = this.options.zones.get(project.zone);
    const kind = project.status === "deleting" ? "destroy" : "update";
    const run = await store.insertRun({
      jobId: job.id,
      projectId: project.id,
      stack: job.data.stack,
      kind,
      revision: project.revision,
      attempt: job.retryCount + 1,
      worker: this.worker,
    });
    const claimed = await store.claimOperations(project.id, project.revision, run.id);
    const operations = claimed.map((operation) => operation.id);
    const events = new EventRecorder(store, this.options.bus, run.id, operations);
    events.push({
      type: "run",
      data: { phase: "started", kind, revision: project.revision, attempt: job.retryCount + 1 },
    });
    try {
      if (!zone) throw new EngineFailure(`zone '${project.zone}' is no longer offered by this service`);
      const onEvent = (event: RunEvent) => events.push(runEventRow(event));
      if (needsRecovery) {
        events.push({
          type: "run",
          data: { phase: "recovering", message: "recovering the stack left by a run that died" },
        });
        await this.options.runner.recover({ project: project.name, zone }, onEvent);
        await store.setNeedsRecovery(project.id, false);
      }
      const request = {
        project: project.name,
        zone,
        spec: project.spec,
        policy: await this.policyContext(project, zone),
        onEvent,
      };
      const result: RunResult =
        kind === "update"
          ? await this.options.runner.up(request)
          : await this.options.runner.destroy(request);
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
        await this.options.bus.notify(queries, operations);
      });
    } catch (error) {
      const message = errorMessage(error);
      if (error instanceof EngineFailure) {
        events.push({ type: "run", data: { phase: "failed", message } });
        await events.flush();
        await store.transaction(async (queries) => {
          await queries.finishRun(run.id, "failed", message);
          await queries.finishOperations(operations, "failed", message);
          await this.options.bus.notify(queries, operations);
        });
        return;
      }
      const last = job.retryCount >= job.retryLimit;
      events.push({
        type: "run",
        data: { phase: "interrupted", message, retry: !last },
      });
      await events.flush();
      await store.transaction(async (queries) => {
        await queries.finishRun(run.id, "interrupted", message);
        await queries.setNeedsRecovery(project.id, true);
        if (last) {
          await queries.finishOperations(
            operations,
            "failed",
            `gave up after ${job.retryCount + 1} attempts: ${message}`,
          );
        }
        await this.options.bus.notify(queries, operations);
      });
      this.log(`stack ${job.data.stack}: attempt ${job.retryCount + 1} died: ${message}`);
      throw error;
    }
  }

  /** The policy pack's view: the share left for this stack, its namespace and its hosts. */
  private async policyContext(project: ProjectRow, zone: ZoneSpec): Promise<PolicyContext> {
    const { store } = this.options;
    const user = await store.findUserById(project.userId);
    if (!user) throw new EngineFailure("the project's owner no longer exists");
    const spec = project.spec;
    const quota = await userQuota(store, user, zone);
    const others = mapUsage(
      SHARE_KINDS,
      (kind) => quota.used[kind] - (quota.projects.get(project.id)?.[kind] ?? 0),
    );
    return projectPolicyContext({
      spec,
      zone,
      share: quota.share,
      others,
      allowedRegistries: this.options.allowedRegistries ?? [],
    });
  }

  /**
   * Fails jobs whose worker died (active, but nobody holds their stack's lock), so the queue
   * retries them now rather than when they expire.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((error: unknown) => this.log(`sweeper: ${errorMessage(error)}`))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const grace = this.options.deadWorkerGraceSeconds ?? 15;
    const { rows } = await this.options.store.executor.executeSql(
      `select id, data, retry_count, retry_limit from pgboss.job
       where name = $1 and state = 'active' and started_on < now() - make_interval(secs => $2)`,
      [STACK_QUEUE, grace],
    );
    for (const row of rows as { id: string; data: StackJob; retry_count: number; retry_limit: number }[]) {
      if (this.handling.has(row.id) || (await this.locks.isHeld(row.data.stack))) continue;
      // A worker that has just finished releases the lock before the queue marks the job done.
      const latest = (await this.options.store.runsOfJob(row.id)).at(-1);
      if (latest?.finishedAt && Date.now() - latest.finishedAt.getTime() < 60_000) continue;
      this.log(`stack ${row.data.stack}: job ${row.id} lost its worker; retrying it`);
      // The retry finds the run the dead worker left marked running and recovers the stack.
      await this.boss.fail(STACK_QUEUE, row.id, { message: "the worker running this job stopped" });
      if (row.retry_count >= row.retry_limit) {
        const runs = await this.options.store.runsOfJob(row.id);
        const operations = await this.options.store.operationsOfRuns(runs.map((run) => run.id));
        await this.options.store.finishOperations(
          operations,
          "failed",
          "gave up: the workers running it kept stopping",
        );
        await this.options.bus.notify(this.options.store, operations);
      }
    }
  }
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

function ids(items: readonly { id: string }[]): string[] {
  return items.map((item) => item.id);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
