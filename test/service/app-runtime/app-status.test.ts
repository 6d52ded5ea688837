import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePod } from "../fake-namespace.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";

type Status = {
  replicas: Record<string, number>;
  pods: {
    name: string;
    phase: string;
    ready: boolean;
    restarts: number;
    waiting?: { explanation?: string };
    lastTermination?: { reason?: string; exitCode: number; explanation?: string };
  }[];
  problems: { reason: string; explanation: string }[];
  events: { reason: string; explanation?: string }[];
};

let f: RuntimeFixture;
const STATUS = "/v1/projects/shop/apps/web/status";

beforeAll(async () => {
  f = await runtimeFixture();
  f.shop.apps.set("web", {
    deployments: [
      {
        name: "web",
        desired: 3,
        ready: 1,
        available: 1,
        updated: 3,
        failing: [
          {
            type: "ReplicaFailure",
            reason: "FailedCreate",
            message: 'pods "web-7d9-x" is forbidden: exceeded quota: shop, requested: limits.cpu=250m',
          },
        ],
      },
    ],
    replicaSets: ["web-7d9"],
    pods: [
      fakePod("web-7d9-a"),
      fakePod("web-7d9-b", {
        ready: false,
        restarts: 4,
        waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" },
        lastTermination: { reason: "OOMKilled", exitCode: 137, finishedAt: undefined },
      }),
    ],
    events: [
      {
        type: "Warning",
        reason: "FailedScheduling",
        message: "0/3 nodes are available: 3 Insufficient cpu.",
        object: { kind: "Pod", name: "web-7d9-c" },
        count: 2,
        lastSeen: "2026-01-01T00:00:00Z",
      },
      {
        type: "Warning",
        reason: "Unhealthy",
        message: 'Readiness probe failed: Get "http://10.244.0.11:8080/healthz": connection refused',
        object: { kind: "Pod", name: "web-7d9-a" },
        count: 1,
        lastSeen: "2025-12-31T23:59:00Z",
      },
    ],
  });
});
afterAll(async () => {
  await f.service.close();
});

describe("an app's status", () => {
  it("counts desired, ready, available and updated replicas", async () => {
    const response = await f.service.get<Status>(STATUS, f.ana);

    expect(response.status).toBe(200);
    expect(response.body.replicas).toEqual({ desired: 3, ready: 1, available: 1, updated: 3 });
  });

  it("lists each pod's phase, readiness, restarts and last termination with its cause", async () => {
    const { body } = await f.service.get<Status>(STATUS, f.ana);

    expect(body.pods.map((pod) => [pod.name, pod.phase, pod.ready, pod.restarts])).toEqual([
      ["web-7d9-a", "Running", true, 0],
      ["web-7d9-b", "Running", false, 4],
    ]);
    expect(body.pods[1]?.lastTermination).toMatchObject({ reason: "OOMKilled", exitCode: 137 });
    expect(body.pods[1]?.lastTermination?.explanation).toMatch(/more memory than its limit/);
    expect(body.pods[1]?.waiting?.explanation).toMatch(/exits soon after it starts/);
  });

  it("says in plain words that the quota refused a pod, that the app crashes and that there is no room", async () => {
    const { body } = await f.service.get<Status>(STATUS, f.ana);

    const explanations = body.problems.map((problem) => problem.explanation).join("\n");
    expect(explanations).toMatch(/quota .* has no room for another pod/);
    expect(explanations).toMatch(/exits soon after it starts/);
    expect(explanations).toMatch(/no node of the zone has room/);
    expect(body.events[0]).toMatchObject({
      reason: "FailedScheduling",
      explanation: expect.stringMatching(/room/),
    });
  });

  it("keeps a warning about a pod that is ready now among the events, not the problems", async () => {
    const { body } = await f.service.get<Status>(STATUS, f.ana);

    expect(body.problems.map((problem) => problem.reason)).not.toContain("Unhealthy");
    expect(body.events.map((event) => event.reason)).toContain("Unhealthy");
  });

  it("is readable with a read token of the project", async () => {
    expect((await f.service.get(STATUS, f.reader)).status).toBe(200);
  });

  it("is the same 404 for another member as for an app that does not exist", async () => {
    const other = await f.service.get(STATUS, f.bob);
    const missing = await f.service.get("/v1/projects/shop/apps/nope/status", f.ana);

    expect(other.status).toBe(404);
    expect(other.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(missing.status).toBe(404);
    expect(missing.body["detail"]).toMatch(/app 'nope'/);
  });

  it("refuses a revoked token with 401", async () => {
    expect((await f.service.get(STATUS, f.revoked)).status).toBe(401);
  });

  it("answers 503 zone-unreachable when the zone's cluster does not answer", async () => {
    f.clusters.unreachable.add("testzone");
    try {
      const response = await f.service.get(STATUS, f.ana);

      expect(response.status).toBe(503);
      expect(response.body["type"]).toMatch(/zone-unreachable$/);
    } finally {
      f.clusters.unreachable.delete("testzone");
    }
  });
});
