import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

let service: TestService;
let ana: string;
let reader: string;
let deployer: string;

beforeAll(async () => {
  service = await TestService.start();
  ana = await service.user("ana");
  await service.project(ana, "shop");
  await service.project(ana, "blog");
  await service.put("/v1/projects/blog/apps/web", ana, { image: "nginx:1" });
  reader = (
    await service.post<{ token: string }>("/v1/projects/shop/tokens", ana, {
      name: "dashboard",
      scope: "read",
    })
  ).body.token;
  deployer = (
    await service.post<{ token: string }>("/v1/projects/shop/tokens", ana, { name: "ci", scope: "deploy" })
  ).body.token;
});
afterAll(async () => {
  await service.close();
});

describe("project tokens", () => {
  it("are created by the project's owner, shown once and listed without the secret", async () => {
    const created = await service.post<{ token: string; scope: string; project: string }>(
      "/v1/projects/shop/tokens",
      ana,
      { name: "once", scope: "read" },
    );
    const listed = await service.get<{ items: { name: string; scope: string }[] }>(
      "/v1/projects/shop/tokens",
      ana,
    );

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      scope: "read",
      project: "shop",
      token: expect.stringMatching(/^pk_/),
    });
    expect(listed.body.items.map((token) => token.name)).toEqual(
      expect.arrayContaining(["dashboard", "ci", "once"]),
    );
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
  });

  it("reach their project: a read token may read it, its claims and operations", async () => {
    const project = await service.get("/v1/projects/shop", reader);
    const apps = await service.get("/v1/projects/shop/apps", reader);
    const operations = await service.get<{ items: { id: string }[] }>("/v1/projects/shop/operations", reader);
    const operation = await service.get(`/v1/operations/${operations.body.items[0]?.id}`, reader);

    expect([project.status, apps.status, operations.status, operation.status]).toEqual([200, 200, 200, 200]);
  });

  it("list only their own project", async () => {
    const response = await service.get<{ items: { name: string }[] }>("/v1/projects", reader);

    expect(response.body.items.map((project) => project.name)).toEqual(["shop"]);
  });

  it("answer 404 for another project of the same owner, on reads and writes", async () => {
    expect((await service.get("/v1/projects/blog", deployer)).status).toBe(404);
    expect((await service.get("/v1/projects/blog/apps/web", deployer)).status).toBe(404);
    expect((await service.put("/v1/projects/blog/apps/web", deployer, { image: "nginx:2" })).status).toBe(
      404,
    );
    expect((await service.delete("/v1/projects/blog", deployer)).status).toBe(404);
    expect((await service.put("/v1/projects/newone", deployer, { zone: "testzone" })).status).toBe(404);
  });

  it("answer 404 for operations of another project", async () => {
    const blogOperations = await service.get<{ items: { id: string }[] }>(
      "/v1/projects/blog/operations",
      ana,
    );

    const response = await service.get(`/v1/operations/${blogOperations.body.items[0]?.id}`, reader);

    expect(response.status).toBe(404);
  });

  it("with scope read may not change anything (403)", async () => {
    const put = await service.put("/v1/projects/shop/apps/web", reader, { image: "nginx:1" });
    const patch = await service.patch("/v1/projects/shop/apps/web", reader, { replicas: 2 });
    const del = await service.delete("/v1/projects/shop/apps/web", reader);
    const project = await service.put("/v1/projects/shop", reader, { zone: "testzone" });

    expect([put.status, patch.status, del.status, project.status]).toEqual([403, 403, 403, 403]);
    expect(put.body["detail"]).toMatch(/read-only/);
  });

  it("with scope deploy may change the project's claims", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/shop/apps/web", deployer, {
      image: "nginx:1.27",
    });

    expect(response.status).toBe(202);
    expect((await service.settle(deployer, response.body.id))["status"]).toBe("succeeded");
  });

  it("may not manage tokens, users or the owner's quota (403)", async () => {
    expect(
      (await service.post("/v1/projects/shop/tokens", deployer, { name: "x", scope: "deploy" })).status,
    ).toBe(403);
    expect((await service.get("/v1/projects/shop/tokens", deployer)).status).toBe(403);
    expect((await service.post("/v1/users/ana/tokens", deployer, { name: "escalate" })).status).toBe(403);
    expect((await service.get("/v1/quota?zone=testzone", deployer)).status).toBe(403);
  });

  it("stop working once revoked (401)", async () => {
    const created = await service.post<{ token: string; id: string }>("/v1/projects/shop/tokens", ana, {
      name: "temp",
      scope: "deploy",
    });

    const revoked = await service.delete(`/v1/projects/shop/tokens/${created.body.id}`, ana);

    expect(revoked.status).toBe(204);
    expect((await service.get("/v1/projects/shop", created.body.token)).status).toBe(401);
    const listed = await service.get<{ items: { id: string; revokedAt: string | null }[] }>(
      "/v1/projects/shop/tokens",
      ana,
    );
    expect(listed.body.items.find((token) => token.id === created.body.id)?.revokedAt).toBeTruthy();
  });

  it("of another user's project cannot be made or listed (404)", async () => {
    const bruno = await service.user("bruno");

    expect(
      (await service.post("/v1/projects/shop/tokens", bruno, { name: "steal", scope: "read" })).status,
    ).toBe(404);
    expect((await service.get("/v1/projects/shop/tokens", bruno)).status).toBe(404);
  });

  it.each([
    ["no scope", { name: "x" }, "scope"],
    ["an unknown scope", { name: "x", scope: "admin" }, "scope"],
    ["no name", { scope: "read" }, "name"],
    ["an unknown field", { name: "x", scope: "read", expires: "never" }, "expires"],
  ])("refuses a project token body with %s (400 naming '%s')", async (_case, body, field) => {
    const response = await service.post<{ errors: { path: string }[] }>(
      "/v1/projects/shop/tokens",
      ana,
      body,
    );

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.path)).toContain(field);
  });

  it("disappear with their project", async () => {
    await service.project(ana, "brief");
    const token = (
      await service.post<{ token: string }>("/v1/projects/brief/tokens", ana, { name: "t", scope: "read" })
    ).body.token;
    const deleted = await service.delete<{ id: string }>("/v1/projects/brief", ana);

    await service.settle(ana, deleted.body.id);

    expect((await service.get("/v1/projects/brief", token)).status).toBe(401);
  });
});
