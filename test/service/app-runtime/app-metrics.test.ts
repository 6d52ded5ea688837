import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePod } from "../fake-namespace.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";

type Usage = {
  cpuMillis: number;
  memoryBytes: number;
  requests: Record<string, number>;
  limits: Record<string, number>;
};

let f: RuntimeFixture;
const METRICS = "/v1/projects/shop/apps/web/metrics";
const MI = 2 ** 20;

beforeAll(async () => {
  f = await runtimeFixture();
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

describe("an app's metrics", () => {
  it("answers 501 not-available-in-zone where the zone serves no metrics API", async () => {
    f.shop.usage = undefined;

    const response = await f.service.get(METRICS, f.ana);

    expect(response.status).toBe(501);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body["type"]).toMatch(/not-available-in-zone$/);
    expect(response.body["detail"]).toMatch(/not available in zone 'testzone'/);
  });

  it("gives CPU and memory per pod and for the app beside requests and limits", async () => {
    f.shop.usage = [
      { pod: "web-a", cpuMillis: 100, memoryBytes: 200 * MI },
      { pod: "web-b", cpuMillis: 50, memoryBytes: 100 * MI },
    ];

    const response = await f.service.get<{ total: Usage; pods: (Usage & { pod: string })[] }>(
      METRICS,
      f.reader,
    );

    expect(response.status).toBe(200);
    expect(response.body.pods[0]).toEqual({
      pod: "web-a",
      cpuMillis: 100,
      memoryBytes: 200 * MI,
      requests: { cpuMillis: 250, memoryBytes: 512 * MI },
      limits: { cpuMillis: 250, memoryBytes: 512 * MI },
    });
    expect(response.body.total).toMatchObject({
      cpuMillis: 150,
      memoryBytes: 300 * MI,
      limits: { cpuMillis: 500, memoryBytes: 1024 * MI },
    });
  });

  it("is the same 404 for another member, and 401 for a revoked token", async () => {
    expect((await f.service.get(METRICS, f.bob)).status).toBe(404);
    expect((await f.service.get(METRICS, f.revoked)).status).toBe(401);
    expect((await f.service.get("/v1/projects/shop/apps/nope/metrics", f.ana)).status).toBe(404);
  });
});
