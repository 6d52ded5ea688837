import { sql } from "kysely";
import type { Db } from "./store.js";

/** A key's count in the current window and when that window ends. */
export interface WindowCount {
  readonly count: number;
  readonly resetAt: Date;
}

/**
 * Fixed-window counters in the service's PostgreSQL, so that every service process counts
 * against the same limits. Windows start at multiples of their length in the database's clock,
 * which all processes share.
 */
export class RateLimitCounters {
  constructor(private readonly db: Db) {}

  /** Counts `amount` hits of `key` in the current window of `windowMs`; returns the window's count. */
  async hit(key: string, windowMs: number, amount = 1): Promise<WindowCount> {
    const windowStart = sql<Date>`to_timestamp(floor(extract(epoch from now()) * 1000 / ${windowMs}) * ${windowMs} / 1000.0)`;
    const row = await this.db
      .insertInto("rateLimits")
      .values({ key, windowStart, count: amount })
      .onConflict((oc) =>
        oc.columns(["key", "windowStart"]).doUpdateSet({ count: sql`rate_limits.count + ${amount}` }),
      )
      .returning(["count", "windowStart"])
      .executeTakeFirstOrThrow();
    return { count: row.count, resetAt: new Date(row.windowStart.getTime() + windowMs) };
  }

  /** Deletes the counters of windows that have ended. */
  async sweep(windowMs: number): Promise<void> {
    await this.db
      .deleteFrom("rateLimits")
      .where("windowStart", "<=", sql<Date>`now() - make_interval(secs => ${windowMs / 1000})`)
      .execute();
  }
}
