import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fakePod } from "../fake-namespace.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";
import { nextMessage, openTunnel } from "./tunnel-client.js";

/** Requests per token per window; large enough for the fixture's own setup with ana's token. */
const REQUEST_LIMIT = 100;
const AUTH_FAILURE_LIMIT = 3;
const FORWARD = "/v1/projects/shop/apps/web/port-forward?port=8080";

let f: RuntimeFixture;

beforeAll(async () => {
  f = await runtimeFixture({
    app: {
      rateLimit: { limit: REQUEST_LIMIT, authFailureLimit: AUTH_FAILURE_LIMIT, windowMs: 60_000 },
      // Each test speaks from its own address, as a client behind the service's proxy would.
      trustProxy: "loopback",
    },
  });
  f.shop.apps.set("web", { deployments: [], replicaSets: [], pods: [fakePod("web-a")], events: [] });
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  await f.service.close();
});

let lastOctet = 10;
/** A client address of its own, seen through the trusted proxy. */
function newClient(): Record<string, string> {
  lastOctet += 1;
  return { "x-forwarded-for": `203.0.113.${lastOctet}` };
}

function unknownToken(): string {
  return `pk_${randomBytes(32).toString("base64url")}`;
}

describe("a port-forward upgrade under the service's rate limits", () => {
  it("counts failed authentications of upgrades per address, then refuses with 429, Retry-After and a problem", async () => {
    const client = newClient();

    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURE_LIMIT + 1; i++) {
      const outcome = await openTunnel(f.service.url, FORWARD, unknownToken(), client);
      statuses.push(outcome.open ? 101 : outcome.status);
    }

    expect(statuses).toEqual([...Array<number>(AUTH_FAILURE_LIMIT).fill(401), 429]);
  });

  it("refuses an upgrade from an address over its failure limit before looking its token up, even a valid one", async () => {
    const client = newClient();
    for (let i = 0; i <= AUTH_FAILURE_LIMIT; i++)
      await openTunnel(f.service.url, FORWARD, unknownToken(), client);
    const lookups = vi.spyOn(f.service.store, "findTokenByHash");

    const outcome = await openTunnel(f.service.url, FORWARD, f.ana, client);

    expect(outcome).toMatchObject({
      open: false,
      status: 429,
      body: {
        type: "urn:pluskube:problem:rate-limited",
        detail: expect.stringMatching(/failed authentications/),
      },
    });
    if (!outcome.open) {
      expect(outcome.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(Number(outcome.headers["retry-after"])).toBeGreaterThan(0);
    }
    expect(lookups).not.toHaveBeenCalled();
  });

  it("shares one failure count per address between HTTP requests and upgrades", async () => {
    const client = newClient();
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) {
      const response = await f.service.request("GET", "/v1/me", { token: unknownToken(), headers: client });
      expect(response.status).toBe(401);
    }

    const outcome = await openTunnel(f.service.url, FORWARD, unknownToken(), client);

    expect(outcome).toMatchObject({ open: false, status: 429 });
  });

  it("counts an upgrade against its token's request limit, and refuses one over it with 429", async () => {
    const token = await f.projectToken("deploy");
    const client = newClient();
    // One place short of the limit, so that the first upgrade below takes it.
    for (let i = 0; i < REQUEST_LIMIT - 2; i++) {
      const response = await f.service.get("/v1/projects/shop/apps/web/status", token.token, {
        headers: client,
      });
      expect(response.status).toBe(200);
    }
    const first = await openTunnel(f.service.url, FORWARD, token.token, client);
    if (!first.open) throw new Error(`refused: ${first.status} ${JSON.stringify(first.body)}`);
    first.ws.close();
    const last = await f.service.get("/v1/projects/shop/apps/web/status", token.token, { headers: client });

    const over = await openTunnel(f.service.url, FORWARD, token.token, client);

    expect(last.status).toBe(200);
    expect(last.headers.get("ratelimit")).toMatch(/r=0;/);
    expect(over).toMatchObject({
      open: false,
      status: 429,
      body: { detail: expect.stringMatching(/too many requests with this token/) },
    });
    if (!over.open) {
      expect(over.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    }
    await expect.poll(() => f.shop.tunnels.length).toBe(0);
  });

  it("still opens a valid upgrade, which carries bytes both ways", async () => {
    const outcome = await openTunnel(f.service.url, FORWARD, f.deployer, newClient());
    if (!outcome.open) throw new Error(`refused: ${outcome.status} ${JSON.stringify(outcome.body)}`);

    outcome.ws.send(Buffer.from("ping"));

    expect(await nextMessage(outcome.ws)).toBe("PING");
    outcome.ws.close();
    await expect.poll(() => f.shop.tunnels.length).toBe(0);
  });

  it("answers unknown and revoked tokens with 401 and a problem", async () => {
    const unknown = await openTunnel(f.service.url, FORWARD, unknownToken(), newClient());
    const revoked = await openTunnel(f.service.url, FORWARD, f.revoked, newClient());

    for (const outcome of [unknown, revoked]) {
      expect(outcome).toMatchObject({
        open: false,
        status: 401,
        body: { type: "urn:pluskube:problem:unauthorized" },
      });
      if (!outcome.open) expect(outcome.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    expect(revoked).toMatchObject({ body: { detail: expect.stringMatching(/revoked/) } });
  });
});
