import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClusters } from "../fake-clusters.js";
import { TestService } from "../harness.js";

/**
 * Finding 1: a project could be named after any namespace of the zone that was not on the
 * reserved list, and its stack then took that namespace over. The service now refuses a name
 * whose namespace already exists.
 */

let service: TestService;
let clusters: FakeClusters;
let ana: string;

beforeAll(async () => {
  clusters = new FakeClusters();
  clusters.addNamespace("testzone", "monitoring", { "app.kubernetes.io/name": "prometheus" });
  clusters.addNamespace("testzone", "old-shop", {
    "app.kubernetes.io/managed-by": "pluskube",
    "pluskube.dev/project": "old-shop",
  });
  service = await TestService.start({ clusters });
  ana = await service.user("ana");
});
afterAll(async () => {
  await service.close();
});

describe("a project named after a namespace that already exists", () => {
  it("is refused with 409, saying the namespace exists and was not made by pluskube", async () => {
    const response = await service.put("/v1/projects/monitoring", ana, { zone: "testzone" });

    expect(response.status).toBe(409);
    expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: "urn:pluskube:problem:namespace-exists",
      namespace: "monitoring",
      zone: "testzone",
    });
    expect(String(response.body["detail"])).toMatch(
      /namespace 'monitoring' already exists in zone 'testzone' and was not created by pluskube/,
    );
  });

  it("leaves no project behind and runs no stack", async () => {
    await service.put("/v1/projects/monitoring", ana, { zone: "testzone" });

    const project = await service.get("/v1/projects/monitoring", ana);
    const list = await service.get<{ items: unknown[] }>("/v1/projects", ana);

    expect(project.status).toBe(404);
    expect(list.body.items).toHaveLength(0);
    expect(service.runner.runs.filter((run) => run.stack === "monitoring.testzone")).toHaveLength(0);
  });

  it("is refused with 409 also when the namespace is another pluskube project's that is still there", async () => {
    const response = await service.put("/v1/projects/old-shop", ana, { zone: "testzone" });

    expect(response.status).toBe(409);
    expect(response.body["type"]).toBe("urn:pluskube:problem:namespace-exists");
    expect(String(response.body["detail"])).toMatch(/still holds namespace 'old-shop'/);
  });

  it("does not stop a project of the same name in another zone, where no such namespace exists", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/monitoring", ana, { zone: "otherzone" });

    expect(response.status).toBe(202);
    expect((await service.settle(ana, response.body.id))["status"]).toBe("succeeded");
  });

  it("answers 503 when the zone's cluster cannot be read, creating nothing", async () => {
    clusters.unreachable.add("testzone");
    try {
      const response = await service.put("/v1/projects/fresh", ana, { zone: "testzone" });

      expect(response.status).toBe(503);
      expect(response.body["type"]).toBe("urn:pluskube:problem:zone-unreachable");
      expect((await service.get("/v1/projects/fresh", ana)).status).toBe(404);
    } finally {
      clusters.unreachable.delete("testzone");
    }
  });
});
