import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClusters } from "./fake-clusters.js";
import { TestService } from "./harness.js";

const DATABASE = {
  DATABASE_URL: "postgres://shop_main:pw@db:5432/shop_main?sslmode=disable",
  PGHOST: "db",
  PGPASSWORD: "pw",
};
const BUCKET = { AWS_ACCESS_KEY_ID: "key", AWS_SECRET_ACCESS_KEY: "secret", S3_BUCKET: "shop-media" };

let service: TestService;
let clusters: FakeClusters;
let ana: string;
let bob: string;
let reader: string;
let deployer: string;

beforeAll(async () => {
  clusters = new FakeClusters();
  service = await TestService.start({ clusters });
  ana = await service.user("ana");
  bob = await service.user("bob");
  await service.project(ana, "shop");
  await service.put("/v1/projects/shop/databases/main", ana, { sizeGB: 1 });
  await service.put("/v1/projects/shop/databases/fresh", ana, { sizeGB: 1 });
  await service.put("/v1/projects/shop/buckets/media", ana, { sizeGB: 1 });
  clusters.addSecret("testzone", "shop", "database-main", DATABASE);
  clusters.addSecret("testzone", "shop", "bucket-media", BUCKET);
  reader = await service.projectToken(ana, "shop", "read");
  deployer = await service.projectToken(ana, "shop", "deploy");
});
afterAll(async () => {
  await service.close();
});

describe("revealing a claim's credentials", () => {
  it("answers the database's variables as its Secret holds them now, never cached", async () => {
    const response = await service.post("/v1/projects/shop/databases/main/credentials", ana, {});

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kind: "database", name: "main", variables: DATABASE });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers the bucket's endpoint, bucket and keys", async () => {
    const response = await service.post("/v1/projects/shop/buckets/media/credentials", ana, {});

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ kind: "bucket", name: "media", variables: BUCKET });
  });

  it("records who revealed what and when, listed under the project without the credentials", async () => {
    await service.post("/v1/projects/shop/databases/main/credentials", ana, {});
    const listed = await service.get<{
      items: { kind: string; item: string; user: string; revealedAt: string }[];
    }>("/v1/projects/shop/credential-reveals", ana);

    expect(listed.status).toBe(200);
    expect(listed.body.items.at(-1)).toMatchObject({ kind: "database", item: "main", user: "ana" });
    expect(Date.parse(listed.body.items.at(-1)?.revealedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(listed.body)).not.toContain("pw");
  });

  it("lets a project's read token see the record of reveals", async () => {
    expect((await service.get("/v1/projects/shop/credential-reveals", reader)).status).toBe(200);
  });

  it.each([
    ["read", () => reader],
    ["deploy", () => deployer],
  ])("refuses a %s project token: 403, and nothing is recorded", async (_scope, token) => {
    const before = await service.get<{ items: unknown[] }>("/v1/projects/shop/credential-reveals", ana);
    const response = await service.post("/v1/projects/shop/databases/main/credentials", token(), {});
    const after = await service.get<{ items: unknown[] }>("/v1/projects/shop/credential-reveals", ana);

    expect(response.status).toBe(403);
    expect(response.text).not.toContain("pw");
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it("answers 404 to another member, for the credentials and for the record", async () => {
    const reveal = await service.post("/v1/projects/shop/databases/main/credentials", bob, {});
    const record = await service.get("/v1/projects/shop/credential-reveals", bob);

    expect([reveal.status, record.status]).toEqual([404, 404]);
    expect(reveal.text).not.toContain("pw");
  });

  it("refuses a revoked token with 401", async () => {
    const created = await service.post<{ id: string; token: string }>("/v1/users/ana/tokens", ana, {
      name: "gone",
    });
    await service.delete(`/v1/users/ana/tokens/${created.body.id}`, ana);

    const response = await service.post(
      "/v1/projects/shop/databases/main/credentials",
      created.body.token,
      {},
    );

    expect(response.status).toBe(401);
  });

  it("answers 404 naming a database the project does not have", async () => {
    const response = await service.post("/v1/projects/shop/databases/nope/credentials", ana, {});

    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.body.detail).toContain("database 'nope'");
  });

  it("answers 409 while the database has no Secret in the zone yet", async () => {
    const response = await service.post("/v1/projects/shop/databases/fresh/credentials", ana, {});

    expect(response.status).toBe(409);
    expect(response.body.detail).toContain("no credentials in the zone yet");
  });

  it("answers 503 when the zone's cluster does not answer, without recording a reveal", async () => {
    clusters.unreachable.add("testzone");
    try {
      const response = await service.post("/v1/projects/shop/databases/main/credentials", ana, {});
      expect(response.status).toBe(503);
    } finally {
      clusters.unreachable.delete("testzone");
    }
  });
});
