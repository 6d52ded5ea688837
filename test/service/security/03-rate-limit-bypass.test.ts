import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { TestService } from "../harness.js";

const started: TestService[] = [];

async function start(
  rateLimit: { limit?: number; authFailureLimit?: number; windowMs?: number },
  databaseUrl?: string,
) {
  const service = await TestService.start({ workers: false, databaseUrl, app: { rateLimit } });
  started.push(service);
  return service;
}

function unknownToken(): string {
  return `pk_${randomBytes(32).toString("base64url")}`;
}

afterEach(async () => {
  for (const service of started.splice(0).reverse()) await service.close();
});

describe("the rate limit", () => {
  it("counts one token sent with varied whitespace and case against one limit (429)", async () => {
    const service = await start({ limit: 5, windowMs: 60_000 });
    const token = service.adminToken;
    const headers = [
      `Bearer ${token}`,
      `Bearer  ${token}`,
      `bearer ${token}`,
      `BEARER\t${token}`,
      `Bearer ${token} `,
      `Bearer   ${token}  `,
      `bEaReR ${token}\t`,
    ];

    const statuses: number[] = [];
    for (const authorization of headers) {
      statuses.push((await service.request("GET", "/v1/me", { headers: { authorization } })).status);
    }

    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it("answers 429 problem+json with Retry-After to a stream of unknown tokens from one address", async () => {
    const service = await start({ authFailureLimit: 10, windowMs: 60_000 });

    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await service.get("/v1/me", unknownToken())).status);
    const refused = await service.get("/v1/me", unknownToken());

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body["detail"]).toMatch(/failed authentications/);
  });

  it("counts requests without any token as failed authentications", async () => {
    const service = await start({ authFailureLimit: 3, windowMs: 60_000 });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await service.request("GET", "/v1/me")).status);

    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it("shares its counts between two service instances on one store", async () => {
    const first = await start({ limit: 5, windowMs: 60_000 });
    const second = await start({ limit: 5, windowMs: 60_000 }, first.databaseUrl);
    const token = first.adminToken;

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await first.get("/v1/me", token)).status);
    for (let i = 0; i < 3; i++) statuses.push((await second.get("/v1/me", token)).status);

    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("shares failed authentications between two service instances on one store", async () => {
    const first = await start({ authFailureLimit: 4, windowMs: 60_000 });
    const second = await start({ authFailureLimit: 4, windowMs: 60_000 }, first.databaseUrl);

    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await first.get("/v1/me", unknownToken())).status);
    for (let i = 0; i < 3; i++) statuses.push((await second.get("/v1/me", unknownToken())).status);

    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });

  it("keeps no counters of windows that have ended", async () => {
    const service = await start({ limit: 100, windowMs: 300 });
    for (let i = 0; i < 3; i++) await service.get("/v1/me", service.adminToken);
    await new Promise((resolve) => setTimeout(resolve, 700));

    await service.get("/v1/me", service.adminToken);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const rows = await service.store.kysely.selectFrom("rateLimits").select("windowStart").execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.windowStart.getTime() > Date.now() - 700)).toBe(true);
  });
});
