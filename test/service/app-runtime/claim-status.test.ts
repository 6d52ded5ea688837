import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseUsage, ZoneDatastores } from "../../../automation-api/datastores/datastores.js";
import type { BucketQuotas, BucketQuotaState } from "../../../automation-api/datastores/bucket-quotas.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";

type Figure = { used: number | null; limit: number | null; note?: string };

/** The zone's data stores as plain data: databases by their identifier on the server. */
class FakeDatastores implements ZoneDatastores {
  readonly databases = new Map<string, DatabaseUsage>();
  failing = false;
  async databaseUsage(_zone: unknown, database: string) {
    if (this.failing) throw new Error("connect ECONNREFUSED");
    return this.databases.get(database);
  }
  /** What the zone's object storage answers for a bucket's use: bytes, too many objects, or an error. */
  bucketAnswer: number | undefined | Error = 1_500_000;
  async bucketBytes() {
    if (this.bucketAnswer instanceof Error) throw this.bucketAnswer;
    return this.bucketAnswer;
  }
  async close() {}
}

/** What the zone's SeaweedFS says of each bucket's quota, by bucket name; an Error when it does not answer. */
class FakeBucketQuotas implements BucketQuotas {
  answer: BucketQuotaState | undefined | Error = { writesRefused: false, countedBytes: 1_500_040 };
  readonly asked: string[] = [];
  async state(_zone: unknown, bucket: string) {
    this.asked.push(bucket);
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
  async enforce() {
    return [];
  }
}

const datastores = new FakeDatastores();
const bucketQuotas = new FakeBucketQuotas();
let f: RuntimeFixture;

/** 2 GB as the bucket quota counts it: 2048 MiB. */
const QUOTA_2GB = 2 * 1024 * 1024 * 1024;

beforeAll(async () => {
  f = await runtimeFixture({ datastores, app: { bucketQuotas } });
  for (const [path, body] of [
    ["databases/main", { sizeGB: 1, connectionLimit: 10 }],
    ["buckets/media", { sizeGB: 2 }],
  ] as const) {
    const put = await f.service.put<{ id: string }>(`/v1/projects/shop/${path}`, f.ana, body);
    if (put.status !== 202) throw new Error(`${path}: ${put.status} ${put.text}`);
    await f.service.settle(f.ana, put.body.id);
  }
  datastores.databases.set("shop_main", { sizeBytes: 8_000_000, connections: 3, connectionLimit: 10 });
});
afterAll(async () => {
  await f.service.close();
});

describe("a database's status", () => {
  it("gives its size and connections against their limits", async () => {
    const response = await f.service.get<{ sizeBytes: Figure; connections: Figure }>(
      "/v1/projects/shop/databases/main/status",
      f.reader,
    );

    expect(response.status).toBe(200);
    expect(response.body.sizeBytes).toEqual({ used: 8_000_000, limit: 1e9 });
    expect(response.body.connections).toEqual({ used: 3, limit: 10 });
  });

  it("is the same 404 for another member as for a database that does not exist", async () => {
    expect((await f.service.get("/v1/projects/shop/databases/main/status", f.bob)).status).toBe(404);
    expect((await f.service.get("/v1/projects/shop/databases/nope/status", f.ana)).status).toBe(404);
  });

  it("refuses a revoked token with 401", async () => {
    expect((await f.service.get("/v1/projects/shop/databases/main/status", f.revoked)).status).toBe(401);
  });

  it("answers 503 when the zone's PostgreSQL does not answer", async () => {
    datastores.failing = true;
    try {
      const response = await f.service.get("/v1/projects/shop/databases/main/status", f.ana);

      expect(response.status).toBe(503);
      expect(response.body["type"]).toMatch(/zone-unreachable$/);
    } finally {
      datastores.failing = false;
    }
  });
});

describe("a bucket's status", () => {
  const status = async (answer: number | undefined | Error) => {
    datastores.bucketAnswer = answer;
    const response = await f.service.get<{ bytes: Figure }>(
      "/v1/projects/shop/buckets/media/status",
      f.reader,
    );
    expect(response.status).toBe(200);
    return response.body.bytes;
  };
  const named = (name: string) => Object.assign(new Error(name), { name });

  it("gives the bytes stored against its quota", async () => {
    expect(await status(1_500_000)).toEqual({ used: 1_500_000, limit: QUOTA_2GB });
  });

  it("says the use is not counted for a bucket of too many objects to list", async () => {
    expect(await status(undefined)).toMatchObject({
      used: null,
      limit: QUOTA_2GB,
      note: expect.stringMatching(/not counted/),
    });
  });

  it("says a bucket the zone does not hold yet is not made yet", async () => {
    expect(await status(named("NoSuchBucket"))).toMatchObject({
      used: null,
      note: expect.stringMatching(/not made yet/),
    });
  });

  it("says the use is not available when the zone's object storage does not answer", async () => {
    expect(await status(named("TimeoutError"))).toMatchObject({
      used: null,
      limit: QUOTA_2GB,
      note: expect.stringMatching(/not available/),
    });
  });

  it("is 404 for another member", async () => {
    expect((await f.service.get("/v1/projects/shop/buckets/media/status", f.bob)).status).toBe(404);
  });
});

describe("a bucket's writes", () => {
  type Writes = {
    state: string;
    countedBytes: number | null;
    limitBytes: number;
    reason: string | null;
    note?: string;
  };
  const status = async (answer: BucketQuotaState | undefined | Error) => {
    datastores.bucketAnswer = 2_200_000_000;
    bucketQuotas.answer = answer;
    const response = await f.service.get<{ bytes: Figure; writes: Writes }>(
      "/v1/projects/shop/buckets/media/status",
      f.reader,
    );
    expect(response.status).toBe(200);
    return response.body;
  };

  it("are accepted under the quota, with the bytes the zone counts against it", async () => {
    const body = await status({ writesRefused: false, countedBytes: 1_500_040 });

    expect(body.writes).toEqual({
      state: "accepted",
      countedBytes: 1_500_040,
      limitBytes: QUOTA_2GB,
      reason: null,
    });
    expect(body.bytes).toEqual({ used: 2_200_000_000, limit: QUOTA_2GB });
    expect(bucketQuotas.asked.at(-1)).toBe("shop-media");
  });

  it("are refused over the quota, and the status says so and how to be let back in", async () => {
    const body = await status({ writesRefused: true, countedBytes: 2_200_001_000 });

    expect(body.bytes).toEqual({ used: 2_200_000_000, limit: QUOTA_2GB, note: "over quota: writes refused" });
    expect(body.writes).toMatchObject({
      state: "refused",
      countedBytes: 2_200_001_000,
      limitBytes: QUOTA_2GB,
    });
    expect(body.writes.reason).toMatch(/^over quota: writes refused: the zone counts 2200001000 bytes/);
    expect(body.writes.reason).toMatch(/InternalError \(500\)/);
    expect(body.writes.reason).toMatch(/deletes still work/);
    expect(body.writes.reason).toMatch(/accepted again within about 20 seconds/);
  });

  it("are unknown, with a note, when the zone's SeaweedFS does not answer", async () => {
    const body = await status(new Error("weed shell exited with 1"));

    expect(body.writes).toEqual({
      state: "unknown",
      countedBytes: null,
      limitBytes: QUOTA_2GB,
      reason: null,
      note: expect.stringMatching(/not available/),
    });
    expect(body.bytes).toEqual({ used: 2_200_000_000, limit: QUOTA_2GB });
  });

  it("are never refused in a zone that enforces no bucket quotas", async () => {
    const body = await status(undefined);

    expect(body.writes).toEqual({
      state: "accepted",
      countedBytes: null,
      limitBytes: QUOTA_2GB,
      reason: null,
      note: "zone 'testzone' enforces no bucket quotas",
    });
  });
});
