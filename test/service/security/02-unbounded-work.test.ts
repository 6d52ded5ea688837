import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateProjectDatabaseArgs } from "../../../components/project-database/index.js";
import { parseZoneSpec } from "../../../spec/zone.js";
import { loadZone } from "../../../zones/index.js";
import { FakeRunner } from "../fake-runner.js";
import { TestService, testZone } from "../harness.js";

/**
 * Finding 2: projects per member, items per project, sizes and connections were unlimited, and
 * jobs ran first in, first out, so one member's backlog delayed everyone else's first request.
 * Zones now set limits (with defaults) that the service's domain enforces, and the job queue
 * orders work fairly between members.
 */

type Problem = {
  type: string;
  detail: string;
  limit: string;
  allowed: number;
  current: number;
  errors: { path: string; message: string; limit: string; allowed: number | string }[];
};

describe("zone limits", () => {
  it("give every zone file that names none the documented defaults", () => {
    const zone = loadZone("lisbon");

    expect(zone.limits).toEqual({
      projectsPerMember: 20,
      itemsPerProject: 50,
      smallestDatabaseGB: 1,
      smallestBucketGB: 1,
      smallestVolume: "256Mi",
      connectionsPerDatabase: 50,
    });
    expect(zone.postgres.maxConnections).toBe(100);
  });

  it("refuse a zone whose connections per database would take every connection of its server", () => {
    const zone = { ...testZone(), limits: { connectionsPerDatabase: 100 } };

    expect(() => parseZoneSpec(zone)).toThrow(
      /limits\.connectionsPerDatabase: must be less than postgres\.maxConnections \(100\)/,
    );
  });
});

describe("the ProjectDatabase component and the zone's connection limit", () => {
  const args = {
    project: "shop",
    namespace: "shop",
    name: "main",
    sizeGB: 1,
    host: "postgres.zone.internal",
  };

  it("refuses a connectionLimit above maxConnectionLimit, naming the argument and the limit", () => {
    expect(() =>
      validateProjectDatabaseArgs({ ...args, connectionLimit: 50, maxConnectionLimit: 10 }),
    ).toThrow(
      /connectionLimit must be a whole number from 1 to 10 \(maxConnectionLimit, the zone's limit per database\), got 50/,
    );
  });

  it("accepts a connectionLimit within maxConnectionLimit", () => {
    expect(() =>
      validateProjectDatabaseArgs({ ...args, connectionLimit: 10, maxConnectionLimit: 10 }),
    ).not.toThrow();
  });
});

describe("the service holds members to their zone's limits", () => {
  let service: TestService;
  const limited = testZone("limited", {
    limits: {
      projectsPerMember: 2,
      itemsPerProject: 3,
      smallestDatabaseGB: 0.5,
      smallestBucketGB: 2,
      smallestVolume: "1Gi",
      connectionsPerDatabase: 10,
    },
  });

  beforeAll(async () => {
    service = await TestService.start({ zones: [limited, testZone()] });
  });
  afterAll(async () => {
    await service.close();
  });

  it("refuses a member's project beyond projectsPerMember with 409 naming the limit", async () => {
    const ana = await service.user("ana");
    await service.project(ana, "one", "limited");
    await service.project(ana, "two", "limited");

    const third = await service.put<Problem>("/v1/projects/three", ana, { zone: "limited" });
    const elsewhere = await service.put("/v1/projects/four", ana, { zone: "testzone" });

    expect(third.status).toBe(409);
    expect(third.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(third.body).toMatchObject({
      type: "urn:pluskube:problem:limit-reached",
      limit: "limits.projectsPerMember",
      allowed: 2,
      current: 2,
    });
    expect(third.body.detail).toMatch(/limits\.projectsPerMember/);
    expect(elsewhere.status).toBe(202);
  });

  it("refuses an item beyond itemsPerProject with 409 naming the limit, but still replaces an existing one", async () => {
    const bea = await service.user("bea");
    await service.project(bea, "full", "limited");
    for (const name of ["a", "b", "c"]) {
      expect(
        (await service.put(`/v1/projects/full/apps/${name}`, bea, { image: "nginx:1", replicas: 0 })).status,
      ).toBe(202);
    }

    const fourth = await service.put<Problem>("/v1/projects/full/buckets/d", bea, { sizeGB: 2 });
    const replaced = await service.put("/v1/projects/full/apps/a", bea, { image: "nginx:2", replicas: 0 });

    expect(fourth.status).toBe(409);
    expect(fourth.body).toMatchObject({
      type: "urn:pluskube:problem:limit-reached",
      limit: "limits.itemsPerProject",
      allowed: 3,
      current: 3,
    });
    expect(replaced.status).toBe(202);
  });

  it.each([
    [
      "a database smaller than the smallest",
      "databases",
      { sizeGB: 1e-9 },
      "sizeGB",
      "limits.smallestDatabaseGB",
      0.5,
    ],
    ["a bucket smaller than the smallest", "buckets", { sizeGB: 1 }, "sizeGB", "limits.smallestBucketGB", 2],
    [
      "a volume smaller than the smallest",
      "volumes",
      { size: "1Ki" },
      "size",
      "limits.smallestVolume",
      "1Gi",
    ],
    [
      "a database with more connections than the zone allows one",
      "databases",
      { sizeGB: 1, connectionLimit: 500 },
      "connectionLimit",
      "limits.connectionsPerDatabase",
      10,
    ],
  ])("refuses %s with 422 naming the limit", async (_case, collection, body, path, limit, allowed) => {
    const cid = await service.user(
      `cid-${collection}-${path}-${String(allowed)}`.toLowerCase().replace(/[^a-z0-9-]/g, ""),
    );
    const project = `small-${collection}-${String(allowed)}`.replace(/[^a-z0-9-]/g, "");
    await service.project(cid, project, "limited");

    const response = await service.put<Problem>(`/v1/projects/${project}/${collection}/item`, cid, body);

    expect(response.status).toBe(422);
    expect(response.body.type).toBe("urn:pluskube:problem:beyond-limit");
    expect(response.body.errors).toEqual([{ path, message: expect.stringContaining(limit), limit, allowed }]);
  });

  it("tells the policy pack the zone's connection limit per database", async () => {
    const dan = await service.user("dan");

    await service.project(dan, "told", "limited");

    expect(service.runner.ups("told.limited").at(-1)?.policy?.maxConnectionLimit).toBe(10);
  });
});

describe("the job queue between members", () => {
  let service: TestService;
  const runner = new FakeRunner();
  const release: (() => void)[] = [];

  beforeAll(async () => {
    runner.onRun = () => new Promise<void>((resolve) => release.push(resolve));
    service = await TestService.start({
      runner,
      zones: [testZone("busy", { limits: { projectsPerMember: 60 } })],
    });
  });
  afterAll(async () => {
    for (const resolve of release) resolve();
    runner.onRun = undefined;
    await service.close();
  });

  const until = async (what: () => boolean): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!what()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it("starts another member's single request in the next free worker slot, ahead of one member's backlog of 50", async () => {
    const ana = await service.user("ana");
    const bea = await service.user("bea");
    for (let i = 0; i < 50; i++) {
      expect((await service.put(`/v1/projects/backlog-${i}`, ana, { zone: "busy" })).status).toBe(202);
    }
    await until(() => runner.runs.length === 2);
    expect((await service.put("/v1/projects/single", bea, { zone: "busy" })).status).toBe(202);

    release.shift()?.();
    await until(() => runner.runs.length === 3);

    expect(runner.runs[2]?.stack).toBe("single.busy");
  });
});
