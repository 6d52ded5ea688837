import type { Db } from "./store.js";

/** How far back an app's usage is kept and shown. */
export const APP_USAGE_WINDOW_SECONDS = 3600;

/** An hour is then 60 points on an app's chart. */
export const DEFAULT_USAGE_SAMPLE_SECONDS = 60;

/** What one app used at the start of one sampling slot, summed over its pods. */
export interface AppUsageSample {
  readonly at: Date;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly pods: number;
}

/** The service's record of its apps' CPU and memory over the last hour. */
export class AppUsage {
  constructor(private readonly db: Db) {}

  /**
   * Keeps the samples; a slot already sampled (by another process) keeps its first sample, so
   * two processes never draw one moment twice.
   */
  async record(samples: readonly (AppUsageSample & { projectId: string; app: string })[]): Promise<void> {
    if (samples.length === 0) return;
    await this.db
      .insertInto("appUsage")
      .values(samples.map((sample) => ({ ...sample })))
      .onConflict((conflict) => conflict.columns(["projectId", "app", "at"]).doNothing())
      .execute();
  }

  /** The app's samples since `since`, oldest first. */
  async since(projectId: string, app: string, since: Date): Promise<AppUsageSample[]> {
    const rows = await this.db
      .selectFrom("appUsage")
      .select(["at", "cpuMillis", "memoryBytes", "pods"])
      .where("projectId", "=", projectId)
      .where("app", "=", app)
      .where("at", ">=", since)
      .orderBy("at")
      .execute();
    return rows.map((row) => ({ ...row, memoryBytes: Number(row.memoryBytes) }));
  }

  /** Drops samples from before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const result = await this.db.deleteFrom("appUsage").where("at", "<", before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
