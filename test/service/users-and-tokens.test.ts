import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

let service: TestService;

beforeAll(async () => {
  service = await TestService.start({ workers: false });
});
afterAll(async () => {
  await service.close();
});

describe("authentication", () => {
  it("refuses a request without a token with 401 problem+json and a WWW-Authenticate challenge", async () => {
    const response = await service.request("GET", "/v1/me");

    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(response.body).toMatchObject({
      status: 401,
      title: "Unauthorized",
      type: "urn:pluskube:problem:unauthorized",
    });
  });

  it.each([
    ["a scheme other than Bearer", "Basic YWRtaW46YWRtaW4="],
    ["a token without the pk_ prefix", "Bearer abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"],
    ["a truncated token", "Bearer pk_abc"],
    ["an empty bearer", "Bearer "],
  ])("refuses %s with 401", async (_case, header) => {
    const response = await service.request("GET", "/v1/me", { headers: { authorization: header } });

    expect(response.status).toBe(401);
    expect(response.body["detail"]).toBeTruthy();
  });

  it("refuses a well-formed token it never issued with 401", async () => {
    const response = await service.get("/v1/me", `pk_${"A".repeat(43)}`);

    expect(response.status).toBe(401);
    expect(response.body["detail"]).toBe("the token is not known");
  });

  it("accepts the admin token printed on first start", async () => {
    const response = await service.get("/v1/me", service.adminToken);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      user: { name: "admin", admin: true, weight: 1 },
      token: { scope: "user" },
    });
  });

  it("creates no second admin token on a later start", async () => {
    const { ensureAdmin } = await import("../../automation-api/domain/bootstrap.js");

    expect(await ensureAdmin(service.store)).toBeUndefined();
  });
});

describe("users", () => {
  it("lets the admin create a user, who then has no token until one is made", async () => {
    const created = await service.post("/v1/users", service.adminToken, { name: "ana", weight: 2 });

    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v1/users/ana");
    expect(created.body).toMatchObject({ name: "ana", admin: false, weight: 2 });
    const tokens = await service.get<{ items: unknown[] }>("/v1/users/ana/tokens", service.adminToken);
    expect(tokens.body.items).toEqual([]);
  });

  it("refuses a second user of the same name with 409", async () => {
    await service.post("/v1/users", service.adminToken, { name: "dup" });

    const again = await service.post("/v1/users", service.adminToken, { name: "dup" });

    expect(again.status).toBe(409);
  });

  it("lists users for the admin", async () => {
    const response = await service.get<{ items: { name: string }[] }>("/v1/users", service.adminToken);

    expect(response.status).toBe(200);
    expect(response.body.items.map((user) => user.name)).toContain("admin");
  });

  it("lets the admin change a user's weight", async () => {
    await service.post("/v1/users", service.adminToken, { name: "heavy" });

    const response = await service.patch("/v1/users/heavy", service.adminToken, { weight: 3 });

    expect(response.status).toBe(200);
    expect(response.body["weight"]).toBe(3);
  });

  it("forbids users who are not admins to create or list users (403)", async () => {
    const token = await service.user("bruno");

    expect((await service.post("/v1/users", token, { name: "mallory" })).status).toBe(403);
    expect((await service.get("/v1/users", token)).status).toBe(403);
    expect((await service.patch("/v1/users/bruno", token, { weight: 50 })).status).toBe(403);
  });

  it("answers 404 for another user's profile or tokens, as for a user that does not exist", async () => {
    const token = await service.user("carla");
    await service.user("dario");

    const other = await service.get("/v1/users/dario", token);
    const missing = await service.get("/v1/users/nobody", token);

    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body["detail"]).toBe("user 'dario' does not exist");
    expect((await service.get("/v1/users/dario/tokens", token)).status).toBe(404);
  });

  it.each([
    ["a missing name", {}, "name"],
    ["an upper-case name", { name: "Ana" }, "name"],
    ["a name with a dot", { name: "a.b" }, "name"],
    ["a zero weight", { name: "zero", weight: 0 }, "weight"],
    ["a weight given as text", { name: "text", weight: "2" }, "weight"],
    ["an unknown field", { name: "eve", role: "admin" }, "role"],
  ])("refuses a user body with %s (400 naming %s)", async (_case, body, field) => {
    const response = await service.post<{ errors: { path: string }[] }>(
      "/v1/users",
      service.adminToken,
      body,
    );

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.path)).toContain(field);
  });
});

describe("user tokens", () => {
  it("shows a new token once with the pk_ prefix and never lists it again", async () => {
    await service.post("/v1/users", service.adminToken, { name: "emil" });

    const created = await service.post<{ token: string; id: string; prefix: string }>(
      "/v1/users/emil/tokens",
      service.adminToken,
      { name: "laptop" },
    );
    const listed = await service.get<{ items: Record<string, unknown>[] }>(
      "/v1/users/emil/tokens",
      service.adminToken,
    );

    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.token.startsWith(created.body.prefix)).toBe(true);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).not.toHaveProperty("token");
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
  });

  it("stores only the SHA-256 of a token", async () => {
    const token = await service.user("fabio");
    const { createHash } = await import("node:crypto");

    const rows = await service.store.kysely.selectFrom("tokens").select("hash").execute();

    expect(rows.map((row) => row.hash)).toContain(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("lets users make and revoke their own tokens", async () => {
    const token = await service.user("gina");

    const second = await service.post<{ token: string; id: string }>("/v1/users/gina/tokens", token, {
      name: "ci",
    });
    const revoked = await service.delete(`/v1/users/gina/tokens/${second.body.id}`, token);

    expect(second.status).toBe(201);
    expect(revoked.status).toBe(204);
    expect((await service.get("/v1/me", second.body.token)).status).toBe(401);
    expect((await service.get("/v1/me", token)).status).toBe(200);
  });

  it("refuses a revoked token with 401 saying so", async () => {
    const token = await service.user("hugo");
    const me = await service.get<{ token: { id: string } }>("/v1/me", token);

    await service.delete(`/v1/users/hugo/tokens/${me.body.token.id}`, service.adminToken);
    const after = await service.get("/v1/me", token);

    expect(after.status).toBe(401);
    expect(after.body["detail"]).toBe("the token has been revoked");
  });

  it("treats revoking a token that does not exist as done (204)", async () => {
    const token = await service.user("ines");

    expect(
      (await service.delete("/v1/users/ines/tokens/00000000-0000-0000-0000-000000000000", token)).status,
    ).toBe(204);
    expect((await service.delete("/v1/users/ines/tokens/not-a-uuid", token)).status).toBe(204);
  });

  it.each([
    ["no name", {}, "name"],
    ["an empty name", { name: "" }, "name"],
    ["an unknown field", { name: "x", scope: "deploy" }, "scope"],
  ])("refuses a token body with %s (400 naming %s)", async (_case, body, field) => {
    const response = await service.post<{ errors: { path: string }[] }>(
      "/v1/users/admin/tokens",
      service.adminToken,
      body,
    );

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.path)).toContain(field);
  });
});
