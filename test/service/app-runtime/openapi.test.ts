import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "../harness.js";

let service: TestService;

beforeAll(async () => {
  service = await TestService.start();
});
afterAll(async () => {
  await service.close();
});

describe("the OpenAPI document of the runtime views", () => {
  it("documents status, logs, metrics and port-forward of apps, and the status of databases and buckets", async () => {
    const response = await service.request<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/openapi.json",
    );

    const operations = Object.entries(response.body.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        "GET /v1/projects/{project}/apps/{app}/status",
        "GET /v1/projects/{project}/apps/{app}/logs",
        "GET /v1/projects/{project}/apps/{app}/metrics",
        "GET /v1/projects/{project}/apps/{app}/metrics/history",
        "GET /v1/projects/{project}/apps/{app}/port-forward",
        "GET /v1/projects/{project}/databases/{database}/status",
        "GET /v1/projects/{project}/buckets/{bucket}/status",
      ]),
    );
  });

  it("names the log query's parameters and the metrics' 501", async () => {
    const response = await service.request<{
      paths: Record<string, { get: { parameters?: { name: string }[]; responses: Record<string, unknown> } }>;
    }>("GET", "/openapi.json");

    const logs = response.body.paths["/v1/projects/{project}/apps/{app}/logs"]?.get;
    expect(logs?.parameters?.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(["tail", "since", "pod", "previous", "follow"]),
    );
    expect(
      Object.keys(response.body.paths["/v1/projects/{project}/apps/{app}/metrics"]?.get.responses ?? {}),
    ).toContain("501");
  });
});
