import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineFailure } from "../../automation-api/runner/runner.js";
import { CapturedLog } from "./captured-log.js";
import { FakeRunner } from "./fake-runner.js";
import { TestService } from "./harness.js";

const SECRET_VALUE = "env-secret-value-9d1f27";
const REGISTRY_PASSWORD = "registry-password-4be81c";
const COOKIE = "session=cookie-value-77aa13";
const UNKNOWN_TOKEN = `pk_${randomBytes(32).toString("base64url")}`;
const DATABASE_PASSWORD = "db-password-c0ffee";

const log = new CapturedLog();
const runner = new FakeRunner();
let service: TestService;
let ana: string;

beforeAll(async () => {
  service = await TestService.start({ logger: log.logger, runner });
  ana = await service.user("ana");
  await service.project(ana, "shop");
});
afterAll(async () => {
  await service.close();
});

function linesWith(field: string, value: unknown): Record<string, unknown>[] {
  return log.entries().filter((entry) => entry[field] === value);
}

describe("the service's log", () => {
  it("gives every line of a request its id, returned in the response header and in problem bodies", async () => {
    const response = await service.get("/v1/projects/nowhere", ana, {
      headers: { "x-request-id": "trace-4f2a-0001" },
    });

    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toBe("trace-4f2a-0001");
    expect(response.body["requestId"]).toBe("trace-4f2a-0001");
    expect(linesWith("requestId", "trace-4f2a-0001")).toEqual([
      expect.objectContaining({
        msg: "request",
        method: "GET",
        route: "/v1/projects/:project",
        path: "/v1/projects/nowhere",
        status: 404,
      }),
    ]);
  });

  it("makes a new request id when the caller's is not a sane one", async () => {
    const response = await service.get("/v1/projects", ana, { headers: { "x-request-id": "a b;c=<d>" } });

    const id = response.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(linesWith("requestId", id)).toHaveLength(1);
    expect(log.text()).not.toContain("a b;c=<d>");
  });

  it("gives every line of a run its operation, job and stack", async () => {
    const accepted = await service.put<{ id: string }>("/v1/projects/shop/apps/web", ana, {
      image: "nginx:1",
    });
    await service.settle(ana, accepted.body.id);

    const runLines = log
      .entries()
      .filter((entry) => Array.isArray(entry["operationIds"]) && entry["runId"] !== undefined)
      .filter((entry) => (entry["operationIds"] as string[]).includes(accepted.body.id));
    expect(runLines.map((entry) => entry["msg"])).toEqual(["run started", "run succeeded"]);
    for (const line of runLines)
      expect(line).toMatchObject({ stack: "shop.testzone", jobId: expect.any(String) });
  });

  it("holds no token, cookie, password or secret value, whatever requests and runs carry", async () => {
    const projectToken = await service.projectToken(ana, "shop", "deploy");
    // The engine echoes the run's secret values in its failure, as a provider error might.
    runner.onRun = (run) => {
      const values = Object.values(run.secrets?.env["web"] ?? {});
      const registry = run.secrets?.registries[0]?.password ?? "";
      if (values.length > 0)
        throw new EngineFailure(
          `container env ${values.join(",")} refused; registry login ${registry} failed`,
        );
    };
    try {
      const requests = [
        service.request("GET", "/v1/projects", { token: ana, headers: { cookie: COOKIE } }),
        service.request("GET", "/v1/projects", { token: UNKNOWN_TOKEN }),
        service.request("GET", "/v1/projects/shop", { token: projectToken }),
        service.request("GET", "/v1/projects", {
          headers: { authorization: `Basic ${btoa(`ana:${DATABASE_PASSWORD}`)}` },
        }),
        service.request("GET", "/v1/users", {
          token: service.adminToken,
          headers: { "x-request-id": UNKNOWN_TOKEN },
        }),
        service.request("POST", "/v1/users/ana/tokens", {
          token: ana,
          body: { name: `x ${DATABASE_PASSWORD}` },
        }),
        service.request("PUT", "/v1/projects/shop", {
          token: ana,
          rawBody: `{"zone": "testzone", "password": "${DATABASE_PASSWORD}"`,
          headers: { "content-type": "application/json" },
        }),
      ];
      const answered = await Promise.all(requests);
      const created = await service.post<{ token: string }>("/v1/users/ana/tokens", ana, { name: "another" });
      await service.put("/v1/projects/shop/registries/registry.example.org", ana, {
        username: "ci",
        password: REGISTRY_PASSWORD,
      });
      const secret = await service.put<{ id: string }>("/v1/projects/shop/apps/web/secret-env/API_KEY", ana, {
        value: SECRET_VALUE,
      });
      const failed = await service.settle(ana, secret.body.id);

      expect(answered.map((response) => response.status)).toEqual([200, 401, 200, 401, 200, 201, 400]);
      expect(failed["status"]).toBe("failed");
      const text = log.text();
      for (const secretText of [
        ana,
        projectToken,
        service.adminToken,
        UNKNOWN_TOKEN,
        created.body.token,
        (answered[5]?.body["token"] as string | undefined) ?? "missing token",
        COOKIE,
        "cookie-value-77aa13",
        DATABASE_PASSWORD,
        btoa(`ana:${DATABASE_PASSWORD}`),
        REGISTRY_PASSWORD,
        SECRET_VALUE,
      ]) {
        expect(text).not.toContain(secretText);
      }
      // The lines are there, with what an operator needs; only the secrets are gone.
      expect(log.entries().find((entry) => entry["msg"] === "run failed")).toMatchObject({
        engineMessage: "container env [redacted] refused; registry login [redacted] failed",
        stack: "shop.testzone",
      });
      expect(
        log.entries().filter((entry) => entry["msg"] === "request" && entry["status"] === 401),
      ).toHaveLength(2);
    } finally {
      runner.onRun = undefined;
    }
  });
});
