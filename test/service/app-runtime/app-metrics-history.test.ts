import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usageSlot } from "../../../automation-api/jobs/app-usage-sampler.js";
import { AppUsage } from "../../../automation-api/store/app-usage.js";
import { fakePod } from "../fake-namespace.js";
import { TestService } from "../harness.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";

type History = {
  app: string;
  intervalSeconds: number;
  windowSeconds: number;
  samples: { at: string; cpuMillis: number; memoryBytes: number; pods: number }[];
};

let f: RuntimeFixture;
const HISTORY = "/v1/projects/shop/apps/web/metrics/history";
const MI = 2 ** 20;

beforeAll(async () => {
  f = await runtimeFixture({ app: { usageSampleSeconds: 30 } });
  f.shop.apps.set("web", {
    deployments: [],
    replicaSets: [],
    pods: [fakePod("web-a"), fakePod("web-b")],
    events: [],
  });
});
afterAll(async () => {
  await f.service.close();
});

async function history(token = f.ana): Promise<History> {
  const response = await f.service.get<History>(HISTORY, token);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

async function projectId(name: string): Promise<string> {
  const row = await f.service.store.db
    .selectFrom("projects")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe("an app's last hour of CPU and memory", () => {
  it("is empty, not an error, where the zone serves no metrics API", async () => {
    f.shop.usage = undefined;

    const passes = await f.service.appUsage.pass();

    expect(passes.find((pass) => pass.zone === "testzone")).toMatchObject({ sampled: 0, noMetrics: true });
    expect(await history()).toEqual({ app: "web", intervalSeconds: 30, windowSeconds: 3600, samples: [] });
  });

  it("keeps one sample per interval, summed over the app's pods, for every token of the project", async () => {
    f.shop.usage = [
      { pod: "web-a", cpuMillis: 100, memoryBytes: 200 * MI },
      { pod: "web-b", cpuMillis: 50, memoryBytes: 100 * MI },
    ];

    const passes = await f.service.appUsage.pass();

    expect(passes.find((pass) => pass.zone === "testzone")).toMatchObject({ sampled: 1, noMetrics: false });
    const { samples } = await history(f.reader);
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ cpuMillis: 150, memoryBytes: 300 * MI, pods: 2 });
    expect(Date.parse(samples[0]?.at ?? "") % 30_000).toBe(0);
  });

  it("writes one sample per slot when two processes sample it", async () => {
    const other = await TestService.start({
      databaseUrl: f.service.databaseUrl,
      clusters: f.clusters,
      app: { usageSampleSeconds: 30 },
    });
    try {
      const slot = usageSlot(new Date(), 30);
      await Promise.all([f.service.appUsage.pass(), other.appUsage.pass()]);

      const { samples } = await history();
      expect(samples.filter((sample) => Date.parse(sample.at) === slot.getTime())).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it("shows samples oldest first, and drops those older than the hour", async () => {
    const id = await projectId("shop");
    const now = Date.now();
    await new AppUsage(f.service.store.db).record([
      { projectId: id, app: "web", at: new Date(now - 2 * 3600_000), cpuMillis: 1, memoryBytes: 1, pods: 1 },
      { projectId: id, app: "web", at: new Date(now - 1800_000), cpuMillis: 7, memoryBytes: 7 * MI, pods: 1 },
    ]);

    const shown = (await history()).samples;
    expect(shown[0]).toMatchObject({ cpuMillis: 7, memoryBytes: 7 * MI });
    expect(shown.map((sample) => sample.at)).toEqual([...shown.map((sample) => sample.at)].sort());

    await f.service.appUsage.pass();
    const kept = await f.service.store.db
      .selectFrom("appUsage")
      .select("cpuMillis")
      .where("projectId", "=", id)
      .where("cpuMillis", "=", 1)
      .execute();
    expect(kept).toEqual([]);
  });

  it("samples nothing for an app with no pod running", async () => {
    f.shop.usage = [];
    const before = (await history()).samples.length;

    await new AppUsage(f.service.store.db).prune(new Date());
    await f.service.appUsage.pass();

    expect((await history()).samples).toHaveLength(0);
    expect(before).toBeGreaterThan(0);
  });

  it("is the same 404 for another member and for an app not in the project, and 401 for a revoked token", async () => {
    expect((await f.service.get(HISTORY, f.bob)).status).toBe(404);
    expect((await f.service.get("/v1/projects/shop/apps/nope/metrics/history", f.ana)).status).toBe(404);
    expect((await f.service.get(HISTORY, f.revoked)).status).toBe(401);
  });
});
