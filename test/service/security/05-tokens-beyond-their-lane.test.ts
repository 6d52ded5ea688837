import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService, testZone } from "../harness.js";
import { readEventStream } from "../sse.js";

type Created = { id: string; token: string; expiresAt: string | null };

let service: TestService;
let ana: string;
let deployer: string;

async function projectToken(
  project: string,
  body: Record<string, unknown>,
  owner = ana,
  on = service,
): Promise<Created> {
  const response = await on.post<Created>(`/v1/projects/${project}/tokens`, owner, body);
  if (response.status !== 201) throw new Error(`project token: ${response.status} ${response.text}`);
  return response.body;
}

/** Holds every run of a stack until released, so that its operation stays open. */
function holdRuns(on: TestService, stack: string): () => void {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  on.runner.onRun = async (run) => {
    if (run.stack === stack) await released;
  };
  return () => {
    on.runner.onRun = undefined;
    release();
  };
}

beforeAll(async () => {
  service = await TestService.start({ app: { tokens: { projectTokenMaxLifetimeSeconds: 30 * 86_400 } } });
  ana = await service.user("ana");
  await service.project(ana, "shop");
  deployer = (await projectToken("shop", { name: "ci", scope: "deploy" })).token;
});
afterAll(async () => {
  await service.close();
});

describe("deploy tokens stay in their lane", () => {
  it("cannot delete their project (403 naming the scope)", async () => {
    const response = await service.delete("/v1/projects/shop", deployer);

    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body["detail"]).toMatch(/'deploy'/);
    expect(response.body).toMatchObject({ scope: "deploy", allowed: expect.arrayContaining(["apps"]) });
    expect((await service.get("/v1/projects/shop", ana)).body["status"]).toBe("active");
  });

  it("cannot change their project's settings (403 naming the scope)", async () => {
    const response = await service.put("/v1/projects/shop", deployer, {
      zone: "testzone",
      internetEgress: false,
    });

    expect(response.status).toBe(403);
    expect(response.body["detail"]).toMatch(/'deploy'/);
    expect((await service.get("/v1/projects/shop", ana)).body["internetEgress"]).toBe(true);
  });

  it("still change the project's claims", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/shop/apps/web", deployer, {
      image: "nginx:1",
    });

    expect(response.status).toBe(202);
  });
});

describe("token expiry", () => {
  it("is set from expiresIn and shown on creation", async () => {
    const before = Date.now();

    const created = await projectToken("shop", { name: "short", scope: "read", expiresIn: 3600 });

    const expiresAt = Date.parse(created.expiresAt ?? "");
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
  });

  it("refuses an expired token with 401 saying so", async () => {
    const created = await projectToken("shop", { name: "expiring", scope: "read", expiresIn: 3600 });
    await service.store.kysely
      .updateTable("tokens")
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where("id", "=", created.id)
      .execute();

    const response = await service.get("/v1/projects/shop", created.token);

    expect(response.status).toBe(401);
    expect(response.body["detail"]).toMatch(/expired/);
  });

  it("gives project tokens the configured maximum when expiresIn is left out", async () => {
    const created = await projectToken("shop", { name: "default", scope: "read" });

    expect(Date.parse(created.expiresAt ?? "")).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(Date.parse(created.expiresAt ?? "")).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
  });

  it("refuses a project token beyond the configured maximum (400 naming the maximum)", async () => {
    const response = await service.post<{ errors: { path: string; message: string }[] }>(
      "/v1/projects/shop/tokens",
      ana,
      { name: "forever", scope: "deploy", expiresIn: 31 * 86_400 },
    );

    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({ path: "expiresIn" });
    expect(response.body.errors[0]?.message).toMatch(/2592000/);
  });

  it("is the zone's maximum when the zone's is shorter than the service's", async () => {
    const zoned = await TestService.start({
      zones: [testZone("testzone", { limits: { projectTokenMaxLifetimeSeconds: 3600 } })],
      app: { tokens: { projectTokenMaxLifetimeSeconds: 30 * 86_400 } },
    });
    try {
      const bea = await zoned.user("bea");
      await zoned.project(bea, "blog");

      const refused = await zoned.post<{ errors: { path: string; message: string }[] }>(
        "/v1/projects/blog/tokens",
        bea,
        { name: "day", scope: "read", expiresIn: 86_400 },
      );
      const given = await projectToken("blog", { name: "default", scope: "read" }, bea, zoned);

      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]?.message).toMatch(/at most 3600 seconds/);
      expect(Date.parse(given.expiresAt ?? "")).toBeLessThanOrEqual(Date.now() + 3_600_000);
    } finally {
      await zoned.close();
    }
  });

  it("applies to user tokens too", async () => {
    const created = await service.post<Created>("/v1/users/ana/tokens", ana, {
      name: "laptop",
      expiresIn: 60,
    });

    expect(created.status).toBe(201);
    expect(created.body.expiresAt).toBeTruthy();
  });
});

describe("administrators", () => {
  it("can revoke a member's project token", async () => {
    const created = await projectToken("shop", { name: "leaked", scope: "deploy" });

    const revoked = await service.delete(`/v1/users/ana/tokens/${created.id}`, service.adminToken);

    expect(revoked.status).toBe(204);
    expect((await service.get("/v1/projects/shop", created.token)).status).toBe(401);
  });

  it("can find a member's project tokens, each with its project, to revoke one", async () => {
    const created = await projectToken("shop", { name: "found", scope: "read" });

    const listed = await service.get<{ items: { id: string; name: string; project: string }[] }>(
      "/v1/users/ana/project-tokens",
      service.adminToken,
    );

    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ id: created.id, name: "found", project: "shop" }),
    );
  });

  it("shows a member's project tokens to nobody else (404, as for anything not theirs)", async () => {
    const bob = await service.user("bob");

    expect((await service.get("/v1/users/ana/project-tokens", bob)).status).toBe(404);
  });

  it("can disable a member: every token of theirs stops at once, their projects stay", async () => {
    const bruno = await service.user("bruno");
    await service.project(bruno, "garage");
    const garageToken = (await projectToken("garage", { name: "ci", scope: "deploy" }, bruno)).token;

    const disabled = await service.patch("/v1/users/bruno", service.adminToken, { disabled: true });

    expect(disabled.status).toBe(200);
    expect(disabled.body["disabled"]).toBe(true);
    const refused = await service.get("/v1/me", bruno);
    expect(refused.status).toBe(401);
    expect(refused.body["detail"]).toMatch(/disabled/);
    expect((await service.get("/v1/projects/garage", garageToken)).status).toBe(401);
    const rows = await service.store.kysely.selectFrom("projects").select("name").execute();
    expect(rows.map((row) => row.name)).toContain("garage");
  });

  it("can enable a disabled member again, and their tokens work again", async () => {
    const carla = await service.user("carla");
    await service.patch("/v1/users/carla", service.adminToken, { disabled: true });

    const enabled = await service.patch("/v1/users/carla", service.adminToken, { disabled: false });

    expect(enabled.body["disabled"]).toBe(false);
    expect((await service.get("/v1/me", carla)).status).toBe(200);
  });

  it("cannot disable themselves (409)", async () => {
    const response = await service.patch("/v1/users/admin", service.adminToken, { disabled: true });

    expect(response.status).toBe(409);
    expect((await service.get("/v1/me", service.adminToken)).status).toBe(200);
  });
});

describe("event streams", () => {
  async function openStream(token: string) {
    const accepted = await service.put<{ id: string }>("/v1/projects/shop/apps/web", ana, {
      image: `nginx:${Date.now()}`,
    });
    const events: string[] = [];
    let opened = () => {};
    const first = new Promise<void>((resolve) => (opened = resolve));
    const stream = readEventStream(`${service.url}/v1/operations/${accepted.body.id}/events`, token, {
      timeoutMs: 8000,
      onEvent: (event) => {
        events.push(event.event);
        opened();
      },
    });
    return { stream, events, first, operationId: accepted.body.id };
  }

  it("end when their token is revoked", async () => {
    const release = holdRuns(service, "shop.testzone");
    try {
      const created = await projectToken("shop", { name: "watcher", scope: "read" });
      const { stream, first } = await openStream(created.token);
      await first;

      await service.delete(`/v1/projects/shop/tokens/${created.id}`, ana);
      const ended = await stream;

      expect(ended.events.map((event) => event.event)).not.toContain("done");
      expect(ended.events.at(-1)).toMatchObject({ event: "unauthorized" });
    } finally {
      release();
    }
  });

  it("end when their owner is disabled", async () => {
    const dora = await service.user("dora");
    await service.project(dora, "studio");
    const release = holdRuns(service, "studio.testzone");
    try {
      const accepted = await service.put<{ id: string }>("/v1/projects/studio/apps/web", dora, {
        image: "nginx:1",
      });
      const events: string[] = [];
      let opened = () => {};
      const first = new Promise<void>((resolve) => (opened = resolve));
      const stream = readEventStream(`${service.url}/v1/operations/${accepted.body.id}/events`, dora, {
        timeoutMs: 8000,
        onEvent: (event) => {
          events.push(event.event);
          opened();
        },
      });
      await first;

      await service.patch("/v1/users/dora", service.adminToken, { disabled: true });
      const ended = await stream;

      expect(ended.events.at(-1)).toMatchObject({ event: "unauthorized" });
    } finally {
      release();
    }
  });

  it("end when their token expires", async () => {
    const release = holdRuns(service, "shop.testzone");
    try {
      const created = await projectToken("shop", { name: "brief", scope: "read", expiresIn: 3 });
      const { stream } = await openStream(created.token);

      const ended = await stream;

      expect(ended.events.map((event) => event.event)).not.toContain("done");
      expect(ended.events.at(-1)).toMatchObject({ event: "unauthorized" });
    } finally {
      release();
    }
  });
});
