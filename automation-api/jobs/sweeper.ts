import type PgBoss from "pg-boss";
import type { StackJob } from "../domain/project-requests.js";
import type { Logger } from "../observability/log.js";
import type { Store } from "../store/store.js";
import type { EventBus } from "./event-bus.js";
import type { QueueTable } from "./queue-table.js";
import type { StackLocks } from "./stack-lock.js";

export interface SweepContext {
  readonly queue: string;
  readonly boss: PgBoss;
  readonly table: QueueTable;
  readonly locks: StackLocks;
  readonly store: Store;
  readonly bus: EventBus;
  /** Jobs this process's workers took, which the sweeper must leave alone. */
  readonly handling: ReadonlySet<string>;
  /** A job active this long without its stack lock held has lost its worker. */
  readonly graceSeconds: number;
  readonly logger: Logger;
}

/**
 * Fails jobs whose worker died (active, but nobody holds their stack's lock), so the queue
 * retries them now rather than when they expire.
 */
export async function sweepDeadWorkers(context: SweepContext): Promise<void> {
  const { store, locks } = context;
  for (const job of await context.table.activeLongerThan<StackJob>(context.graceSeconds)) {
    if (context.handling.has(job.id) || (await locks.isHeld(job.data.stack))) continue;
    // A worker that has just finished releases the lock before the queue marks the job done.
    const latest = (await store.runsOfJob(job.id)).at(-1);
    if (latest?.finishedAt && Date.now() - latest.finishedAt.getTime() < 60_000) continue;
    context.logger.warn({ stack: job.data.stack, jobId: job.id }, "job lost its worker; retrying it");
    // The retry finds the run the dead worker left marked running and recovers the stack.
    await context.boss.fail(context.queue, job.id, { message: "the worker running this job stopped" });
    if (job.retryCount >= job.retryLimit) {
      const runs = await store.runsOfJob(job.id);
      const operations = await store.operationsOfRuns(runs.map((run) => run.id));
      await store.finishOperations(operations, "failed", "gave up: the workers running it kept stopping");
      await context.bus.notify(store, operations);
    }
  }
}
