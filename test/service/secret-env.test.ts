import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

const VALUE = "s3cr3t-value-that-must-never-show";

let service: TestService;
let ana: string;
let bob: string;
let reader: string;
let deployer: string;

beforeAll(async () => {
  service = await TestService.start();
  ana = await service.user("ana");
  bob = await service.user("bob");
  await service.project(ana, "shop");
  await service.put("/v1/projects/shop/apps/web", ana, { image: "nginx:1" });
  reader = await service.projectToken(ana, "shop", "read");
  deployer = await service.projectToken(ana, "shop", "deploy");
});
afterAll(async () => {
  await service.close();
});

const path = (name = "API_KEY") => `/v1/projects/shop/apps/web/secret-env/${name}`;

describe("secret variables of an app", () => {
  it("are set with an operation that rolls the app out with the value, opened for that run only", async () => {
    const response = await service.put<{ id: string }>(path(), ana, { value: VALUE });
    const done = await service.settle(ana, response.body.id);

    expect(response.status).toBe(202);
    expect(response.text).not.toContain(VALUE);
    expect(done["status"]).toBe("succeeded");
    expect(service.runner.ups("shop.testzone").at(-1)?.secrets?.env).toEqual({ web: { API_KEY: VALUE } });
  });

  it("are listed by name and time set, never by value", async () => {
    const listed = await service.get<{ items: { name: string; setAt: string }[] }>(
      "/v1/projects/shop/apps/web/secret-env",
      reader,
    );

    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([{ name: "API_KEY", setAt: expect.any(String) }]);
    expect(listed.text).not.toContain(VALUE);
  });

  it("are stored sealed: the service's database holds no value in plain text", async () => {
    const client = new pg.Client({ connectionString: service.databaseUrl });
    await client.connect();
    try {
      const rows = await client.query<{ sealed: string }>("select sealed from secret_env");
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0]?.sealed).toMatch(/^v1\./);
      expect(JSON.stringify(rows.rows)).not.toContain(VALUE);
      expect(JSON.stringify(rows.rows)).not.toContain(Buffer.from(VALUE).toString("base64"));
    } finally {
      await client.end();
    }
  });

  it("roll the app out again when one rotates", async () => {
    const before = service.runner.ups("shop.testzone").length;
    const response = await service.put<{ id: string }>(path(), ana, { value: "rotated" });
    await service.settle(ana, response.body.id);

    expect(service.runner.ups("shop.testzone").length).toBeGreaterThan(before);
    expect(service.runner.ups("shop.testzone").at(-1)?.secrets?.env["web"]?.["API_KEY"]).toBe("rotated");
  });

  it("may be set with a deploy token", async () => {
    const response = await service.put<{ id: string }>(path("DEPLOYED"), deployer, { value: "x" });

    expect(response.status).toBe(202);
    await service.settle(ana, response.body.id);
  });

  it("are refused to a read token with 403", async () => {
    expect((await service.put(path(), reader, { value: "x" })).status).toBe(403);
    expect((await service.delete(path(), reader)).status).toBe(403);
  });

  it("answer 404 to another member, listing or setting", async () => {
    expect((await service.get("/v1/projects/shop/apps/web/secret-env", bob)).status).toBe(404);
    expect((await service.put(path(), bob, { value: "x" })).status).toBe(404);
  });

  it("refuse a revoked token with 401", async () => {
    const created = await service.post<{ id: string; token: string }>("/v1/users/ana/tokens", ana, {
      name: "g",
    });
    await service.delete(`/v1/users/ana/tokens/${created.body.id}`, ana);

    expect((await service.put(path(), created.body.token, { value: "x" })).status).toBe(401);
  });

  it.each([
    ["a name that is no environment variable name", "1BAD", { value: "x" }, "name"],
    ["a value beyond 32 KiB", "BIG", { value: "x".repeat(32_769) }, "value"],
    ["a body with another field", "OK", { value: "x", plain: true }, "plain"],
    ["a value that is not a string", "OK", { value: 42 }, "value"],
  ])("refuse %s with a 400 naming the field", async (_what, name, body, field) => {
    const response = await service.put(path(name), ana, body);

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.text).toContain(field);
  });

  it("answer 404 for an app the project does not have", async () => {
    const response = await service.put("/v1/projects/shop/apps/nope/secret-env/KEY", ana, { value: "x" });

    expect(response.status).toBe(404);
    expect(response.body.detail).toContain("app 'nope'");
  });

  it("are deleted with an operation, and deleting a missing one answers 204", async () => {
    const deleted = await service.delete<{ id: string }>(path("DEPLOYED"), ana);
    await service.settle(ana, deleted.body.id);
    const again = await service.delete(path("DEPLOYED"), ana);

    expect(deleted.status).toBe(202);
    expect(again.status).toBe(204);
    expect(service.runner.ups("shop.testzone").at(-1)?.secrets?.env["web"]).toEqual({ API_KEY: "rotated" });
  });
});

describe("a service without a secrets key", () => {
  it("refuses to store a secret value with 503", async () => {
    const keyless = await TestService.start({ secrets: null });
    try {
      const token = await keyless.user("ana");
      await keyless.project(token, "shop");
      await keyless.put("/v1/projects/shop/apps/web", token, { image: "nginx:1" });

      const response = await keyless.put(path(), token, { value: "x" });

      expect(response.status).toBe(503);
      expect(response.body.detail).toContain("PLUSKUBE_SECRETS_KEY");
    } finally {
      await keyless.close();
    }
  });
});
