import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

const PASSWORD = "registry-password-never-shown";

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
  reader = await service.projectToken(ana, "shop", "read");
  deployer = await service.projectToken(ana, "shop", "deploy");
});
afterAll(async () => {
  await service.close();
});

const path = (server = "registry.example.org") => `/v1/projects/shop/registries/${server}`;
const credentials = { username: "ci", password: PASSWORD };

describe("private registry credentials", () => {
  it("are set by the owner with an operation whose run receives them", async () => {
    const response = await service.put<{ id: string }>(path(), ana, credentials);
    const done = await service.settle(ana, response.body.id);

    expect(response.status).toBe(202);
    expect(response.text).not.toContain(PASSWORD);
    expect(done["status"]).toBe("succeeded");
    expect(service.runner.ups("shop.testzone").at(-1)?.secrets?.registries).toEqual([
      { server: "registry.example.org", ...credentials },
    ]);
  });

  it("are listed by server and time set, never with the username or password", async () => {
    const listed = await service.get<{ items: { server: string; setAt: string }[] }>(
      "/v1/projects/shop/registries",
      reader,
    );

    expect(listed.body.items).toEqual([{ server: "registry.example.org", setAt: expect.any(String) }]);
    expect(listed.text).not.toContain(PASSWORD);
  });

  it("are stored sealed", async () => {
    const client = new pg.Client({ connectionString: service.databaseUrl });
    await client.connect();
    try {
      const rows = await client.query("select * from registry_credentials");
      expect(rows.rows).toHaveLength(1);
      expect(JSON.stringify(rows.rows)).not.toContain(PASSWORD);
    } finally {
      await client.end();
    }
  });

  it.each([
    ["read", () => reader],
    ["deploy", () => deployer],
  ])("are refused to a %s project token with 403", async (_scope, token) => {
    expect((await service.put(path(), token(), credentials)).status).toBe(403);
    expect((await service.delete(path(), token())).status).toBe(403);
  });

  it("answer 404 to another member", async () => {
    expect((await service.put(path(), bob, credentials)).status).toBe(404);
    expect((await service.get("/v1/projects/shop/registries", bob)).status).toBe(404);
  });

  it("refuse a revoked token with 401", async () => {
    const created = await service.post<{ id: string; token: string }>("/v1/users/ana/tokens", ana, {
      name: "g",
    });
    await service.delete(`/v1/users/ana/tokens/${created.body.id}`, ana);

    expect((await service.put(path(), created.body.token, credentials)).status).toBe(401);
  });

  it.each([
    ["a server that is no registry host", "Bad_Host", credentials, "server"],
    ["an empty password", "ghcr.io", { username: "ci", password: "" }, "password"],
    ["a body without the username", "ghcr.io", { password: "x" }, "username"],
    ["another field", "ghcr.io", { ...credentials, email: "a@b" }, "email"],
  ])("refuse %s with a 400 naming the field", async (_what, server, body, field) => {
    const response = await service.put(path(server), ana, body);

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.text).toContain(field);
  });

  it("refuse a registry named by an address with 422, as images from it are", async () => {
    const response = await service.put(path("10.0.3.9:5000"), ana, credentials);

    expect(response.status).toBe(422);
    expect(response.body.type).toContain("registry-not-allowed");
  });

  it("are deleted with an operation; deleting missing ones answers 204", async () => {
    const deleted = await service.delete<{ id: string }>(path(), ana);
    await service.settle(ana, deleted.body.id);

    expect(deleted.status).toBe(202);
    expect((await service.delete(path(), ana)).status).toBe(204);
    expect(service.runner.ups("shop.testzone").at(-1)?.secrets?.registries).toEqual([]);
  });
});
