import { sql } from "kysely";
import type { Db } from "./store.js";

/** A key's count in the current window and when that window ends. */
export interface WindowCount {
  readonly count: number;
  readonly resetAt: Date;
}

/** Well under PostgreSQL's 65,535 parameters a statement, at four a key. */
const MAX_KEYS_A_STATEMENT = 1000;

/**
 * Fixed-window counters in the service's PostgreSQL, so that every service process counts
 * against the same limits. Windows start at multiples of their length in the database's clock,
 * which all processes share.
 */
export class RateLimitCounters {
  constructor(private readonly db: Db) {}

  /** Counts `amount` hits of `key` in the current window of `windowMs`; returns the window's count. */
  async hit(key: string, windowMs: number, amount = 1): Promise<WindowCount> {
    const counts = await this.hitMany(new Map([[key, amount]]), windowMs);
    const count = counts.get(key);
    if (!count) throw new Error(`rate limit counter ${key} was not written`);
    return count;
  }

  /**
   * Counts hits of several keys in one statement (each key's amount), so that one round trip
   * serves the requests of many tokens; returns each key's window count.
   */
  async hitMany(amounts: ReadonlyMap<string, number>, windowMs: number): Promise<Map<string, WindowCount>> {
    const counts = new Map<string, WindowCount>();
    // Keys in one order in every process, so that two statements locking the same rows never
    // wait on each other crosswise.
    const keys = [...amounts.keys()].sort();
    const windowStart = sql<Date>`to_timestamp(floor(extract(epoch from now()) * 1000 / ${windowMs}) * ${windowMs} / 1000.0)`;
    for (let i = 0; i < keys.length; i += MAX_KEYS_A_STATEMENT) {
      const rows = await this.db
        .insertInto("rateLimits")
        .values(
          keys
            .slice(i, i + MAX_KEYS_A_STATEMENT)
            .map((key) => ({ key, windowStart, count: amounts.get(key) ?? 0 })),
        )
        .onConflict((oc) =>
          oc.columns(["key", "windowStart"]).doUpdateSet({ count: sql`rate_limits.count + excluded.count` }),
        )
        .returning(["key", "count", "windowStart"])
        .execute();
      for (const row of rows) {
        counts.set(row.key, { count: row.count, resetAt: new Date(row.windowStart.getTime() + windowMs) });
      }
    }
    return counts;
  }

  /** Deletes the counters of windows that have ended. */
  async sweep(windowMs: number): Promise<void> {
    await this.db
      .deleteFrom("rateLimits")
      .where("windowStart", "<=", sql<Date>`now() - make_interval(secs => ${windowMs / 1000})`)
      .execute();
  }
}
