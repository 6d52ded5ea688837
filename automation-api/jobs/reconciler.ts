import { stackName } from "../../spec/project.js";
import type { StackJob } from "../domain/project-requests.js";
import type { ZoneCatalog } from "../domain/zones.js";
import { ReconcileRows } from "../store/reconciles.js";
import type { Queries, Store } from "../store/store.js";
import { firstDelaySeconds, nextDelaySeconds, reconcileSettings, tickSeconds } from "./reconcile-schedule.js";
import type { Logger } from "../observability/log.js";

export interface ReconcilerOptions {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  /** Puts a reconcile job on the stack queue, inside the scheduler's transaction. */
  readonly enqueue: (queries: Queries, job: StackJob) => Promise<void>;
  /** Wakes the queue's workers after jobs were enqueued. */
  readonly wake: () => void;
  /** How often to look for due projects, in seconds. Default: from the zones' intervals. */
  readonly tickSeconds?: number;
  readonly logger: Logger;
}

/** Due projects handled per transaction, so that one tick never holds many rows locked for long. */
const BATCH = 50;

/**
 * Enqueues a reconcile of each deployed project once per its zone's interval (spread, backed
 * off after failures) on the stack queue, where `reconcileStack` runs it. Every service process
 * with workers runs one; `for update skip locked` on the schedule lets only one of them enqueue
 * a given project, and the queue's one-waiting-job-per-stack rule folds a reconcile into a
 * member's waiting job and the other way round.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly rows: ReconcileRows;

  constructor(private readonly options: ReconcilerOptions) {
    this.rows = new ReconcileRows(options.store.db);
  }

  start(): void {
    const every = (this.options.tickSeconds ?? tickSeconds(this.options.zones.list())) * 1000;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Schedules new projects and enqueues those that are due; returns how many it enqueued. */
  tick(): Promise<void> {
    this.ticking ??= this.enqueueDue()
      .then((count) => {
        if (count > 0) this.options.wake();
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, "reconciler failed"))
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private settingsOf(zoneName: string) {
    const zone = this.options.zones.get(zoneName);
    return zone ? reconcileSettings(zone) : undefined;
  }

  private async enqueueDue(): Promise<number> {
    await this.rows.scheduleNew((zone) => {
      const settings = this.settingsOf(zone);
      return settings ? firstDelaySeconds(settings) : 86_400;
    });
    let total = 0;
    for (;;) {
      const count = await this.options.store.transaction(async (queries) => {
        const rows = new ReconcileRows(queries.db);
        const due = await rows.lockDue(BATCH);
        for (const project of due) {
          const settings = this.settingsOf(project.zone);
          // A zone no longer offered is looked at again a day later.
          const wait = settings ? nextDelaySeconds(settings, project.failures) : 86_400;
          // Provisional: the reconcile's own outcome sets the next time; this one holds when the
          // job never runs (folded into a member's job, or lost with its worker).
          await rows.postpone(project.projectId, new Date(Date.now() + wait * 1000));
          if (!settings) continue;
          await this.options.enqueue(queries, {
            projectId: project.projectId,
            stack: stackName(project.name, project.zone),
            reconcile: true,
          });
        }
        return due.length;
      });
      total += count;
      if (count < BATCH) return total;
    }
  }
}
