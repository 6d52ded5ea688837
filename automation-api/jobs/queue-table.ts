import type { SqlExecutor } from "../store/store.js";

/** The pg-boss schema version the queries below were written against (pg-boss 10.x). */
export const BOSS_SCHEMA_VERSION = 24;

/** An active job as the sweeper needs it. */
export interface ActiveJob<T> {
  readonly id: string;
  readonly data: T;
  readonly retryCount: number;
  readonly retryLimit: number;
}

/**
 * The two things the stack queue needs that pg-boss's public API (10.x) has no call for, kept in
 * this one adapter over its `job` table. test/service/queue-table.test.ts fails when pg-boss's
 * schema moves away from what these queries assume.
 */
export class QueueTable {
  constructor(
    private readonly executor: SqlExecutor,
    private readonly queue: string,
    private readonly schema = "pgboss",
  ) {}

  /** Lets the waiting job of a singleton key start now rather than at the time it set itself. */
  async startWaitingNow(singletonKey: string): Promise<boolean> {
    const { rows } = await this.executor.executeSql(
      `update ${this.schema}.job set start_after = now()
       where name = $1 and singleton_key = $2 and state = 'created' and start_after > now() returning id`,
      [this.queue, singletonKey],
    );
    return rows.length > 0;
  }

  /** Raises the waiting job of a singleton key to at least `priority`. */
  async raiseWaiting(singletonKey: string, priority: number): Promise<void> {
    await this.executor.executeSql(
      `update ${this.schema}.job set priority = $3
       where name = $1 and singleton_key = $2 and state = 'created' and priority < $3`,
      [this.queue, singletonKey, priority],
    );
  }

  /** Jobs active for longer than `seconds`. */
  async activeLongerThan<T>(seconds: number): Promise<ActiveJob<T>[]> {
    const { rows } = await this.executor.executeSql(
      `select id, data, retry_count, retry_limit from ${this.schema}.job
       where name = $1 and state = 'active' and started_on < now() - make_interval(secs => $2)`,
      [this.queue, seconds],
    );
    return (rows as { id: string; data: T; retry_count: number; retry_limit: number }[]).map((row) => ({
      id: row.id,
      data: row.data,
      retryCount: row.retry_count,
      retryLimit: row.retry_limit,
    }));
  }
}
