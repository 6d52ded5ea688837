/**
 * Tokens and rate limits as several service instances on one database see them: each keeps
 * looked-up tokens and reserved requests in memory, and neither may let a change made through
 * another instance go unseen or a limit be passed.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { TestService, type ServiceOptions } from "./harness.js";

const started: TestService[] = [];

async function start(options: ServiceOptions & { databaseUrl?: string } = {}): Promise<TestService> {
  const service = await TestService.start({ workers: false, ...options });
  started.push(service);
  return service;
}

afterEach(async () => {
  for (const service of started.splice(0).reverse()) await service.close();
});

/** Asks until `done` holds, for at most two seconds: news between instances goes through the database. */
async function soon(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

describe("tokens kept in memory", () => {
  it("refuses a token revoked through another instance", async () => {
    const first = await start();
    const second = await start({ databaseUrl: first.databaseUrl });
    const token = await first.user("rita");
    const me = await first.get<{ token: { id: string } }>("/v1/me", token);

    await second.delete(`/v1/users/rita/tokens/${me.body.token.id}`, first.adminToken);

    expect(await soon(async () => (await first.get("/v1/me", token)).status === 401)).toBe(true);
    expect((await first.get("/v1/me", token)).body["detail"]).toBe("the token has been revoked");
  });

  it("refuses a user disabled through another instance", async () => {
    const first = await start();
    const second = await start({ databaseUrl: first.databaseUrl });
    const token = await first.user("sara");
    expect((await first.get("/v1/me", token)).status).toBe(200);

    await second.patch("/v1/users/sara", first.adminToken, { disabled: true });

    expect(await soon(async () => (await first.get("/v1/me", token)).status === 401)).toBe(true);
  });

  it("answers with a weight changed through another instance", async () => {
    const first = await start();
    const second = await start({ databaseUrl: first.databaseUrl });
    const token = await first.user("tina");
    const weightOf = async () =>
      (await first.get<{ weight: number }>("/v1/quota?zone=testzone", token)).body.weight;
    expect(await weightOf()).toBe(1);

    await second.patch("/v1/users/tina", first.adminToken, { weight: 3 });

    expect(await soon(async () => (await weightOf()) === 3)).toBe(true);
  });

  it("answers with a weight changed through the same instance at once", async () => {
    const service = await start();
    const token = await service.user("uma");
    expect((await service.get<{ weight: number }>("/v1/quota?zone=testzone", token)).body.weight).toBe(1);

    await service.patch("/v1/users/uma", service.adminToken, { weight: 2 });

    expect((await service.get<{ weight: number }>("/v1/quota?zone=testzone", token)).body.weight).toBe(2);
  });

  it("sees a change made past the service (in the database) once its copy is older than the cache's life", async () => {
    const service = await start({ app: { tokenCache: { ttlMs: 300 } } });
    const token = await service.user("vera");
    const me = await service.get<{ token: { id: string } }>("/v1/me", token);

    await sql`update tokens set revoked_at = now() where id = ${me.body.token.id}`.execute(
      service.store.kysely,
    );

    // Kept: nothing announced the change.
    expect((await service.get("/v1/me", token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await service.get("/v1/me", token)).status).toBe(401);
  });
});

describe("requests counted together", () => {
  it("never lets two instances together pass the limit, nor refuses one within it", async () => {
    const first = await start({ app: { rateLimit: { limit: 40, windowMs: 3_600_000 } } });
    const second = await start({
      databaseUrl: first.databaseUrl,
      app: { rateLimit: { limit: 40, windowMs: 3_600_000 } },
    });
    const token = first.adminToken;

    // Bursts through both at once, then one more through each.
    const burst = (service: TestService) =>
      Promise.all(Array.from({ length: 15 }, () => service.get("/v1/me", token)));
    const answers = [...(await Promise.all([burst(first), burst(second)])).flat()];
    answers.push(...(await burst(first)));
    const statuses = answers.map((answer) => answer.status);

    expect(statuses.filter((status) => status === 200)).toHaveLength(40);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
  });

  it("counts a burst of requests once each, however they were grouped", async () => {
    const service = await start({ app: { rateLimit: { limit: 600, windowMs: 3_600_000 } } });

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => service.get("/v1/me", service.adminToken)),
    );
    const rows = await service.store.kysely.selectFrom("rateLimits").select("count").execute();

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(50);
    const remaining = answers.map((answer) =>
      Number(/r=(\d+)/.exec(answer.headers.get("ratelimit") ?? "")?.[1]),
    );
    expect(new Set(remaining).size).toBe(50);
    expect(Math.min(...remaining)).toBe(600 - 50);
  });
});
