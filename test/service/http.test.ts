import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemMiddleware } from "../../automation-api/http/problem.js";
import { silentLogger } from "../../automation-api/observability/log.js";
import { TestService } from "./harness.js";

let service: TestService;

beforeAll(async () => {
  service = await TestService.start({ workers: false, app: { rateLimit: { limit: 1000 } } });
});
afterAll(async () => {
  await service.close();
});

describe("the HTTP surface", () => {
  it("answers unknown routes with 404 problem+json", async () => {
    const response = await service.get("/v1/nothing/here", service.adminToken);
    const outside = await service.request("GET", "/nope");

    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, detail: "no such route: GET /v1/nothing/here" });
    expect(outside.status).toBe(404);
  });

  it("sets helmet's security headers and no X-Powered-By", async () => {
    const response = await service.request("GET", "/healthz");

    expect(response.status).toBe(200);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(response.headers.get("x-powered-by")).toBeNull();
  });

  it("lists the zones", async () => {
    const response = await service.get<{ items: Record<string, unknown>[] }>("/v1/zones", service.adminToken);

    expect(response.status).toBe(200);
    expect(response.body.items.map((zone) => zone["name"])).toEqual(["testzone", "otherzone"]);
    expect(response.body.items[0]).toMatchObject({
      baseDomain: "testzone.pluskube.test",
      chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
      allocatable: { chunks: 12, volumeGB: 18, databaseGB: 10, objectGB: 20 },
    });
    expect(JSON.stringify(response.body)).not.toContain("passwordFile");
  });

  it("needs a token for the zones too", async () => {
    expect((await service.request("GET", "/v1/zones")).status).toBe(401);
  });

  it("keeps an idle connection open past Node's 5 s, so a POST sent on it is not reset", async () => {
    expect((await service.request("GET", "/healthz")).status).toBe(200);
    // Held without yielding, as a busy client (or this process) can be: the client's own idle
    // timer gets no turn to retire the connection before the POST goes out on it.
    const until = Date.now() + 5_500;
    while (Date.now() < until);
    const response = await service.post("/v1/users", service.adminToken, { name: "after-idle" });

    expect(response.status).toBe(201);
    expect(response.headers.get("keep-alive")).toBe("timeout=125");
  });
});

describe("OpenAPI", () => {
  it("serves an OpenAPI 3.1 document with every route", async () => {
    const response = await service.request<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>("GET", "/openapi.json");

    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe("3.1.0");
    const operations = Object.entries(response.body.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        "GET /v1/me",
        "POST /v1/users",
        "PATCH /v1/users/{user}",
        "POST /v1/users/{user}/tokens",
        "DELETE /v1/users/{user}/tokens/{token}",
        "GET /v1/users/{user}/project-tokens",
        "GET /v1/zones",
        "GET /v1/quota",
        "PUT /v1/projects/{project}",
        "DELETE /v1/projects/{project}",
        "PUT /v1/projects/{project}/apps/{name}",
        "PATCH /v1/projects/{project}/databases/{name}",
        "DELETE /v1/projects/{project}/volumes/{name}",
        "GET /v1/projects/{project}/buckets",
        "POST /v1/projects/{project}/tokens",
        "GET /v1/operations/{id}",
        "GET /v1/operations/{id}/events",
        "POST /v1/projects/{project}/databases/{name}/credentials",
        "POST /v1/projects/{project}/buckets/{name}/credentials",
        "GET /v1/projects/{project}/credential-reveals",
        "PUT /v1/projects/{project}/apps/{app}/secret-env/{name}",
        "PUT /v1/projects/{project}/registries/{server}",
        "POST /v1/session",
        "GET /v1/session",
        "DELETE /v1/session",
      ]),
    );
    expect(operations).toHaveLength(65);
  });

  it("describes request bodies with the ProjectSpec's own schemas", async () => {
    const response = await service.request<{
      components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
    }>("GET", "/openapi.json");

    const app = response.body.components.schemas["AppBody"];

    expect(Object.keys(app?.properties ?? {})).toEqual(
      expect.arrayContaining(["image", "replicas", "chunks", "volumes", "env"]),
    );
    expect(app?.required).toEqual(["image"]);
  });

  it("renders a self-contained docs page", async () => {
    const response = await service.request("GET", "/docs");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.text).toContain("<code>/v1/projects/{project}/apps/{name}</code>");
    expect(response.text).not.toMatch(/<script|https?:\/\/(?!127\.)/);
  });
});

describe("rate limit", () => {
  it("answers 429 problem+json once a token has used its requests, without slowing other tokens", async () => {
    const limited = await TestService.start({
      workers: false,
      app: { rateLimit: { limit: 5, windowMs: 60_000 } },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await limited.get("/v1/me", limited.adminToken)).status);
      const refused = await limited.get("/v1/me", limited.adminToken);
      const other = await limited.get("/v1/me", `pk_${"B".repeat(43)}`);

      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get("ratelimit-policy") ?? refused.headers.get("ratelimit")).toBeTruthy();
      expect(other.status).toBe(401);
    } finally {
      await limited.close();
    }
  });
});

describe("problem middleware", () => {
  async function answerFor(
    error: unknown,
  ): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
    const app = express();
    app.get("/", () => {
      throw error;
    });
    app.use(problemMiddleware(silentLogger()));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
        type: response.headers.get("content-type"),
      };
    } finally {
      server.close();
    }
  }

  it("maps the Automation API's ConcurrentUpdateError to 409 and StackNotFoundError to 404", async () => {
    const { ConcurrentUpdateError, StackNotFoundError } = await import("@pulumi/pulumi/automation/index.js");
    const result = {
      stdout: "",
      stderr: "error: the stack is currently locked by 1 lock(s)",
      code: 255,
      toString: () => "locked",
    };
    const Concurrent = ConcurrentUpdateError as unknown as new (result: unknown) => Error;
    const NotFound = StackNotFoundError as unknown as new (result: unknown) => Error;

    const busy = await answerFor(new Concurrent(result));
    const missing = await answerFor(new NotFound(result));

    expect(busy).toMatchObject({ status: 409, body: { type: "urn:pluskube:problem:stack-busy" } });
    expect(missing).toMatchObject({ status: 404, body: { type: "urn:pluskube:problem:not-found" } });
    expect(busy.type).toMatch(/^application\/problem\+json/);
  });

  it("answers an unexpected error with 500 and no stack trace", async () => {
    const answer = await answerFor(new Error("secret internals at /srv/app.ts:12"));

    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toMatch(/secret internals|app\.ts/);
  });
});
