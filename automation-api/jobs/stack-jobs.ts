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
import { errorMessage, runStack, type StackRunJob } from "./stack-run.js";
import { StackLocks } from "./stack-lock.js";
import { PRUNE_INTERVAL_SECONDS_DEFAULT, pruneFinished, RETENTION_DAYS_DEFAULT } from "./retention.js";
import { sweepDeadWorkers } from "./sweeper.js";

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
  readonly log?: (line: string) => void;
}

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
  private readonly table: QueueTable;
  private workersStarted = false;
  private readonly workerIds: string[] = [];
  private readonly worker = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private prunedAt = 0;
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
    this.table = new QueueTable(options.store.executor, STACK_QUEUE);
  }

  private get workerCount(): number {
    return this.options.workers ?? 2;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Creates the queue without working it: requests enqueue, another process runs the jobs. */
  async startQueue(): Promise<void> {
    await this.boss.start();
    await this.boss.createQueue(STACK_QUEUE, { name: STACK_QUEUE, policy: "short" });
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
    if (!this.workersStarted) {
      await this.boss.stop({ graceful: false, wait: true });
      await this.locks.close();
      return;
    }
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

  /**
   * Fair between members: the queue fetches by priority, then age, and a job's priority is minus
   * the member's stacks ahead of it, so each member's first waiting stack comes before anyone's
   * second. (pg-boss has no fetch order of its own to plug in; its priority is the public way.)
   */
  async enqueue(queries: Queries, job: StackJob, ahead: number): Promise<void> {
    await this.boss.send(STACK_QUEUE, job, {
      singletonKey: job.stack,
      priority: -ahead,
      db: queries.executor,
    });
  }

  wake(): void {
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  private async handle(job: StackRunJob): Promise<void> {
    const lock = await this.locks.tryLock(job.data.stack);
    if (!lock) {
      // The stack runs elsewhere: become (or fold into) its one waiting job, then finish this one.
      // Looks again soon, then less often while a long run goes on (at most every 30 s).
      const waits = (job.data.waits ?? 0) + 1;
      const delay = Math.min(30, (this.options.busyDelaySeconds ?? 2) * 2 ** Math.min(waits - 1, 5));
      await this.boss.send(STACK_QUEUE, { ...job.data, waits } satisfies StackJob, {
        singletonKey: job.data.stack,
        startAfter: delay,
        // Keeps its place among the member's other stacks.
        priority: job.priority,
      });
      return;
    }
    try {
      await runStack(
        {
          store: this.options.store,
          runner: this.options.runner,
          zones: this.options.zones,
          bus: this.options.bus,
          worker: this.worker,
          allowedRegistries: this.options.allowedRegistries ?? [],
          secrets: this.options.secrets,
          log: (line) => this.log(line),
        },
        job,
      );
    } finally {
      await lock.release();
      await this.hurryWaiting(job.data.stack).catch(() => undefined);
    }
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
      log: (line) => this.log(line),
    })
      .then(() => this.pruneWhenDue())
      .catch((error: unknown) => this.log(`sweeper: ${errorMessage(error)}`))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  /** Deletes finished operations past the retention period, with their runs and events. */
  async prune(): Promise<void> {
    this.prunedAt = Date.now();
    await pruneFinished(this.options.store, this.options.retentionDays ?? RETENTION_DAYS_DEFAULT, (line) =>
      this.log(line),
    );
  }

  private async pruneWhenDue(): Promise<void> {
    const every = (this.options.pruneIntervalSeconds ?? PRUNE_INTERVAL_SECONDS_DEFAULT) * 1000;
    if (Date.now() - this.prunedAt >= every) await this.prune();
  }
}
