/**
 * One pass of the database limits over a zone, with the zone's PostgreSQL replaced by a guard
 * that records what it is asked: which databases are refused and restored, what the member reads
 * in the status and events, and how a failing refusal is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseWriteGuard, WriteRefusal } from "../../automation-api/datastores/database-guard.js";
import type { ZoneDatastores } from "../../automation-api/datastores/datastores.js";
import { enforceDatabaseLimits } from "../../automation-api/jobs/database-limits.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { TestService, testZone } from "./harness.js";

type Status = {
  writes: {
    state: string;
    since: string | null;
    checkedAt: string | null;
    reason: string | null;
    error: string | null;
  };
  events: { type: string; message: string }[];
};

/** A zone server whose databases have the sizes the test sets; refusals and restorations recorded. */
class RecordingGuard implements DatabaseWriteGuard {
  readonly sizesOf = new Map<string, number>();
  readonly calls: string[] = [];
  failure: Error | undefined;

  async sizes(_zone: ZoneSpec, databases: readonly string[]): Promise<Map<string, number>> {
    return new Map(
      databases.flatMap((name) => (this.sizesOf.has(name) ? [[name, this.sizesOf.get(name) ?? 0]] : [])),
    );
  }

  async refuseWrites(
    _zone: ZoneSpec,
    refusal: WriteRefusal,
    options: { endSessions: boolean },
  ): Promise<void> {
    this.calls.push(`refuse ${refusal.database}${options.endSessions ? " ending sessions" : ""}`);
    if (this.failure) throw this.failure;
  }

  async acceptWrites(_zone: ZoneSpec, database: string): Promise<void> {
    this.calls.push(`accept ${database}`);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {}
}

describe("a pass of the database limits", () => {
  const zone = testZone();
  const guard = new RecordingGuard();
  let service: TestService;
  let ana: string;

  const pass = () => enforceDatabaseLimits(zone, service.store, guard);
  const status = async (name = "main"): Promise<Status> => {
    const response = await service.get<Status>(`/v1/projects/shop/databases/${name}/status`, ana);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    // No enforcer of the service's own: the test runs each pass itself.
    const datastores: ZoneDatastores = {
      databaseUsage: async (_zone, database) => {
        const sizeBytes = guard.sizesOf.get(database);
        return sizeBytes === undefined ? undefined : { sizeBytes, connections: 0, connectionLimit: 20 };
      },
      bucketBytes: async () => undefined,
      close: async () => {},
    };
    service = await TestService.start({ zones: [zone], workers: false, app: { datastores } });
    ana = await service.user("ana");
    await service.project(ana, "shop");
    for (const name of ["main", "later"]) {
      const put = await service.put(`/v1/projects/shop/databases/${name}`, ana, { sizeGB: 1 });
      expect(put.status, put.text).toBe(202);
    }
  });

  afterAll(async () => {
    await service?.close();
  });

  it("measures nothing of a database not made yet, and says so", async () => {
    const result = await pass();

    expect(result.measured).toBe(0);
    expect((await status()).writes).toMatchObject({ state: "accepted", checkedAt: null });
  });

  it("leaves a database under its limit alone, recording the measurement", async () => {
    guard.sizesOf.set("shop_main", 999_999_999);

    const result = await pass();

    expect(result.measured).toBe(1);
    expect(guard.calls).toEqual([]);
    expect((await status()).writes.checkedAt).not.toBeNull();
  });

  it("refuses the writes of a database over its limit, ending its sessions once", async () => {
    guard.sizesOf.set("shop_main", 1_000_000_001);

    const first = await pass();
    const second = await pass();

    expect(first.refused).toEqual(["shop/main"]);
    expect(second.refused).toEqual([]);
    expect(guard.calls).toEqual(["refuse shop_main ending sessions", "refuse shop_main"]);
    const current = await status();
    expect(current.writes.state).toBe("refused");
    expect(current.writes.reason).toBe(
      "database shop_main is over its size limit of 1 GB: pluskube refuses writes to it",
    );
    expect(current.events.map((event) => event.type)).toEqual(["writes-refused"]);
  });

  it("reports a failing restoration once per reason, and keeps trying", async () => {
    guard.calls.length = 0;
    guard.sizesOf.set("shop_main", 10);
    guard.failure = new Error("connection refused");

    await pass();
    const result = await pass();

    expect(result.failed.get("shop/main")).toBe("connection refused");
    expect(guard.calls).toEqual(["accept shop_main", "accept shop_main"]);
    const current = await status();
    expect(current.writes).toMatchObject({ state: "refused", error: "connection refused" });
    expect(current.events.map((event) => event.type)).toEqual(["enforcement-failed", "writes-refused"]);
  });

  it("accepts writes again once the restoration succeeds", async () => {
    guard.failure = undefined;

    const result = await pass();

    expect(result.restored).toEqual(["shop/main"]);
    const current = await status();
    expect(current.writes).toMatchObject({ state: "accepted", since: null, reason: null, error: null });
    expect(current.events[0]?.type).toBe("writes-restored");
  });

  it("forgets a database its project no longer has", async () => {
    const removed = await service.delete("/v1/projects/shop/databases/main", ana);
    expect(removed.status, removed.text).toBe(202);

    await pass();

    const rows = await service.store.db.selectFrom("databaseLimits").selectAll().execute();
    expect(rows).toEqual([]);
  });
});
