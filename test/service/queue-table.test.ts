import pg from "pg";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOSS_SCHEMA_VERSION, QueueTable } from "../../automation-api/jobs/queue-table.js";
import { freshDatabase } from "./harness.js";

/**
 * The adapter over pg-boss's job table holds the only queries outside pg-boss's public API.
 * These tests fail when an upgrade of pg-boss changes the schema they were written against.
 */

const QUEUE = "queue-table-test";
let boss: PgBoss;
let pool: pg.Pool;
let table: QueueTable;

beforeAll(async () => {
  const databaseUrl = await freshDatabase();
  boss = new PgBoss({ connectionString: databaseUrl, max: 2 });
  await boss.start();
  await boss.createQueue(QUEUE, { name: QUEUE, policy: "short" });
  pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  table = new QueueTable({ executeSql: (text, values = []) => pool.query(text, values) }, QUEUE);
});
afterAll(async () => {
  await boss.stop({ graceful: false, wait: true });
  await pool.end();
});

describe("QueueTable", () => {
  it("was written against the schema version pg-boss installs", async () => {
    expect(Number(await boss.schemaVersion())).toBe(BOSS_SCHEMA_VERSION);
  });

  it("lets a delayed job of a singleton key start now", async () => {
    const id = await boss.send(QUEUE, { stack: "a.zone" }, { singletonKey: "a.zone", startAfter: 3600 });

    const hurried = await table.startWaitingNow("a.zone");

    expect(hurried).toBe(true);
    const job = await boss.getJobById(QUEUE, id as string);
    expect(job?.startAfter.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await table.startWaitingNow("a.zone")).toBe(false);
  });

  it("lists active jobs with their data and retry counts", async () => {
    const id = await boss.send(QUEUE, { stack: "b.zone" }, { singletonKey: "b.zone", retryLimit: 4 });
    await boss.fetch(QUEUE, { batchSize: 5 });
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const active = await table.activeLongerThan<{ stack: string }>(1);

    expect(active).toContainEqual({ id, data: { stack: "b.zone" }, retryCount: 0, retryLimit: 4 });
    expect(await table.activeLongerThan(3600)).toEqual([]);
  });
});
