import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import PgBoss from "pg-boss";
import type { JobQueue, StackJob } from "../domain/project-requests.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { Runner } from "../runner/runner.js";
import type { Queries, Store } from "../store/store.js";
import type { EventBus } from "./event-bus.js";
import { QueueTable } from "./queue-table.js";
import type { SecretBox } from "../domain/secret-box.js";
import { RunHandedBack, runStack, type StackRunJob } from "./stack-run.js";
import { StackLocks } from "./stack-lock.js";
import { PRUNE_INTERVAL_SECONDS_DEFAULT, pruneFinished, RETENTION_DAYS_DEFAULT } from "./retention.js";
import { sweepDeadWorkers } from "./sweeper.js";
import { silentLogger, withLogContext, type Logger } from "../observability/log.js";
import type { QueueDepthSource, ServiceMetrics } from "../observability/metrics.js";
import { Reconciler } from "./reconciler.js";
import { reconcileStack } from "./reconcile-run.js";
import { RECONCILE_PRIORITY } from "./reconcile-schedule.js";

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
  /** Opens the project's secret values for each run; none: a project with some fails its runs. */
  readonly secrets?: SecretBox;
  /** Finished operations, with their runs and events, are kept this many days. Default 30. */
  readonly retentionDays?: number;
  /** How often the sweeper prunes what is past retention. Default 1 h. */
  readonly pruneIntervalSeconds?: number;
  /**
   * On stop, how long running runs may take to finish before they are stopped and handed back
   * to the queue. Default 30 s.
   */
  readonly shutdownGraceSeconds?: number;
  readonly logger?: Logger;
  /** Counts queue waits, runs and engine failures. */
  readonly metrics?: ServiceMetrics;
  /** Whether this process enqueues reconciles of its projects (jobs/reconciler.ts). Default true. */
  readonly reconcile?: boolean;
  /** How often the reconciler looks for due projects. Default: from the zones' intervals. */
  readonly reconcileTickSeconds?: number;
}

/** After a hand-back is asked, how long the engine gets to stop before the service stops anyway. */
const HAND_BACK_WAIT_MS = 15_000;

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
export class StackJobs implements JobQueue, QueueDepthSource {
  readonly boss: PgBoss;
  private readonly locks: StackLocks;
  private readonly table: QueueTable;
  private workersStarted = false;
  private readonly workerIds: string[] = [];
  private readonly worker = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  private sweepTimer: NodeJS.Timeout | undefined;
  private reconciler: Reconciler | undefined;
  private sweeping: Promise<void> | undefined;
  private prunedAt = 0;
  private readonly running = new Set<Promise<unknown>>();
  /** Jobs this process's workers took, which the sweeper must leave alone. */
  private readonly handling = new Set<string>();
  /** Aborts of the runs in progress, used when a stop's grace period is over. */
  private readonly aborts = new Map<string, AbortController>();
  private draining = false;
  private readonly logger: Logger;

  constructor(private readonly options: StackJobsOptions) {
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      // One connection per worker for fetching and completing, plus maintenance.
      max: (options.workers ?? 2) + 2,
    });
    this.logger = options.logger ?? silentLogger();
    this.boss.on("error", (error: Error) => this.logger.error({ err: error }, "job queue error"));
    this.locks = new StackLocks(options.connectionString, this.workerCount + 2);
    this.table = new QueueTable(options.store.executor, STACK_QUEUE);
  }

  private get workerCount(): number {
    return this.options.workers ?? 2;
  }

  /** Creates the queue without working it: requests enqueue, another process runs the jobs. */
  async startQueue(): Promise<void> {
    await this.boss.start();
    await this.settingUpQueue(() =>
      this.boss.createQueue(STACK_QUEUE, { name: STACK_QUEUE, policy: "short" }),
    );
  }

  /**
   * Runs `setup` of the queue while no other process sets it up: two processes starting at once
   * on a new database would otherwise both create the queue's table and one of them die of the
   * deadlock PostgreSQL detects between them.
   */
  private async settingUpQueue(setup: () => Promise<void>): Promise<void> {
    const client = await this.options.store.pool.connect();
    try {
      await client.query("select pg_advisory_lock(hashtext('pluskube:queue-setup'))");
      try {
        await setup();
      } finally {
        await client.query("select pg_advisory_unlock(hashtext('pluskube:queue-setup'))");
      }
    } finally {
      client.release();
    }
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
    await this.settingUpQueue(async () => {
      await this.boss.createQueue(STACK_QUEUE, queue);
      await this.boss.updateQueue(STACK_QUEUE, queue);
    });
    this.workersStarted = true;
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
            await withLogContext({ jobId: job.id, stack: job.data.stack }, () =>
              this.track(this.handle(job)),
            );
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
    if (this.options.reconcile ?? true) {
      this.reconciler = new Reconciler({
        store: this.options.store,
        zones: this.options.zones,
        enqueue: (queries, job) => this.enqueueReconcile(queries, job),
        wake: () => this.wake(),
        tickSeconds: this.options.reconcileTickSeconds,
        logger: this.logger,
      });
      this.reconciler.start();
    }
  }

  /**
   * Stops taking jobs, lets running runs finish within the grace period (default
   * `shutdownGraceSeconds`), hands back those that do not, then closes the queue.
   */
  async stop(graceSeconds?: number): Promise<void> {
    if (!this.workersStarted) {
      this.draining = true;
      await this.boss.stop({ graceful: false, wait: true });
      await this.locks.close();
      return;
    }
    await this.drain(graceSeconds);
    await this.boss.stop({ graceful: true, timeout: 10_000, wait: true });
    await this.locks.close();
  }

  /**
   * Graceful shutdown's first half: this process fetches no more jobs (other instances go on),
   * runs in progress get `graceSeconds` to finish, and the rest are stopped and handed back: the
   * engine is interrupted, the stack marked for recovery, and a new job of the stack queued, which
   * another instance (or this one's next start) picks up. Resolves once every run has ended, or
   * HAND_BACK_WAIT_MS after the hand-back when an engine does not stop (then the sweeper of
   * another instance recovers the job as a dead worker's).
   */
  async drain(graceSeconds = this.options.shutdownGraceSeconds ?? 30): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    if (!this.workersStarted) return;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.boss.offWork(STACK_QUEUE);
    await this.sweeping;
    await this.reconciler?.stop();
    const all = Promise.allSettled([...this.running]).then(() => true);
    const running = this.running.size;
    if (running > 0) this.logger.info({ running, graceSeconds }, "stopping: waiting for running runs");
    if (await Promise.race([all, sleep(graceSeconds * 1000).then(() => false)])) return;
    this.logger.warn({ running: this.aborts.size }, "stopping: grace period over, handing runs back");
    for (const abort of this.aborts.values()) abort.abort(new Error("the service is stopping"));
    if (!(await Promise.race([all, sleep(HAND_BACK_WAIT_MS).then(() => false)]))) {
      this.logger.error("stopping: runs still going after the hand-back; leaving them to the sweeper");
    }
  }

  /** Waiting and active jobs of the stack queue, across instances (the metrics' queue gauge). */
  async depth(): Promise<{ waiting: number; active: number }> {
    const [waiting, notDone] = await Promise.all([
      this.boss.getQueueSize(STACK_QUEUE, { before: "active" }),
      this.boss.getQueueSize(STACK_QUEUE, { before: "completed" }),
    ]);
    return { waiting, active: notDone - waiting };
  }

  /** Throws, saying why, when this process cannot take or run jobs (the readiness check). */
  async checkReady(): Promise<void> {
    if (this.draining) throw new Error("the service is stopping");
    if (!(await this.boss.getQueue(STACK_QUEUE)))
      throw new Error(`the queue '${STACK_QUEUE}' does not exist`);
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    try {
      return await work;
    } finally {
      this.running.delete(work);
    }
  }

  /**
   * Fair between members: the queue fetches by priority, then age, and a job's priority is minus
   * the member's stacks ahead of it, so each member's first waiting stack comes before anyone's
   * second. (pg-boss has no fetch order of its own to plug in; its priority is the public way.)
   */
  async enqueue(queries: Queries, job: StackJob, ahead: number): Promise<void> {
    const id = await this.boss.send(STACK_QUEUE, job, {
      singletonKey: job.stack,
      priority: -ahead,
      db: queries.executor,
    });
    // Folded into the stack's waiting job, which may be a reconcile at the lowest priority: the
    // member's request must not wait behind everyone else's because of it.
    if (id === null) await new QueueTable(queries.executor, STACK_QUEUE).raiseWaiting(job.stack, -ahead);
  }

  /**
   * A reconcile of a stack, after every member's waiting job (RECONCILE_PRIORITY). Nothing is
   * added when the stack already has a waiting job: that job reconciles or deploys it anyway.
   */
  async enqueueReconcile(queries: Queries, job: StackJob): Promise<void> {
    await this.boss.send(STACK_QUEUE, job, {
      singletonKey: job.stack,
      priority: RECONCILE_PRIORITY,
      db: queries.executor,
    });
  }

  /** Runs the reconciler's look for due projects now (tests and benchmarks). */
  async reconcileNow(): Promise<void> {
    await this.reconciler?.tick();
  }

  wake(): void {
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  private async handle(job: StackRunJob): Promise<void> {
    // A fetch already under way when the stop began: leave the job to another instance.
    if (this.draining) return this.requeue(job, job.data.waits ?? 0, 0);
    const lock = await this.locks.tryLock(job.data.stack);
    if (lock) this.options.metrics?.queueWaited((Date.now() - job.createdOn.getTime()) / 1000);
    if (!lock) {
      // The stack runs elsewhere: become (or fold into) its one waiting job, then finish this one.
      // Looks again soon, then less often while a long run goes on (at most every 30 s).
      const waits = (job.data.waits ?? 0) + 1;
      const delay = Math.min(30, (this.options.busyDelaySeconds ?? 2) * 2 ** Math.min(waits - 1, 5));
      await this.requeue(job, waits, delay);
      return;
    }
    const abort = new AbortController();
    this.aborts.set(job.id, abort);
    try {
      const run = job.data.reconcile ? reconcileStack : runStack;
      await run(
        {
          store: this.options.store,
          runner: this.options.runner,
          zones: this.options.zones,
          bus: this.options.bus,
          worker: this.worker,
          allowedRegistries: this.options.allowedRegistries ?? [],
          secrets: this.options.secrets,
          logger: this.logger,
          metrics: this.options.metrics,
          signal: abort.signal,
        },
        job,
      );
    } catch (error) {
      if (!(error instanceof RunHandedBack)) throw error;
      // Not a failed attempt: the stack's next job recovers it and claims its operations.
      await this.requeue(job, 0, 0);
    } finally {
      this.aborts.delete(job.id);
      await lock.release();
      await this.hurryWaiting(job.data.stack).catch(() => undefined);
    }
  }

  /** Puts the job back as its stack's one waiting job (or folds it into the one already waiting). */
  private async requeue(job: StackRunJob, waits: number, delaySeconds: number): Promise<void> {
    await this.boss.send(STACK_QUEUE, { ...job.data, waits } satisfies StackJob, {
      singletonKey: job.data.stack,
      startAfter: delaySeconds,
      // Keeps its place among the member's other stacks.
      priority: job.priority,
    });
  }

  /**
   * Lets the stack's waiting job (if any) start now rather than after the delay it set itself
   * while the stack was busy.
   */
  private async hurryWaiting(stack: string): Promise<void> {
    if (await this.table.startWaitingNow(stack)) this.wake();
  }

  /**
   * Fails jobs whose worker died (active, but nobody holds their stack's lock), so the queue
   * retries them now rather than when they expire.
   */
  sweep(): Promise<void> {
    this.sweeping ??= sweepDeadWorkers({
      queue: STACK_QUEUE,
      boss: this.boss,
      table: this.table,
      locks: this.locks,
      store: this.options.store,
      bus: this.options.bus,
      handling: this.handling,
      graceSeconds: this.options.deadWorkerGraceSeconds ?? 15,
      logger: this.logger,
    })
      .then(() => this.pruneWhenDue())
      .catch((error: unknown) => this.logger.error({ err: error }, "sweeper failed"))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  /** Deletes finished operations past the retention period, with their runs and events. */
  async prune(): Promise<void> {
    this.prunedAt = Date.now();
    await pruneFinished(
      this.options.store,
      this.options.retentionDays ?? RETENTION_DAYS_DEFAULT,
      this.logger,
    );
  }

  private async pruneWhenDue(): Promise<void> {
    const every = (this.options.pruneIntervalSeconds ?? PRUNE_INTERVAL_SECONDS_DEFAULT) * 1000;
    if (Date.now() - this.prunedAt >= every) await this.prune();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
