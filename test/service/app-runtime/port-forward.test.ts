import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePod } from "../fake-namespace.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";
import { closed, nextMessage, openTunnel } from "./tunnel-client.js";

let f: RuntimeFixture;
const FORWARD = "/v1/projects/shop/apps/web/port-forward";

beforeAll(async () => {
  f = await runtimeFixture();
  f.shop.apps.set("web", {
    deployments: [],
    replicaSets: [],
    pods: [fakePod("web-starting", { ready: false, phase: "Pending" }), fakePod("web-a")],
    events: [],
  });
});
afterAll(async () => {
  await f.service.close();
});

describe("a port-forward", () => {
  it("tunnels bytes to a ready pod of the app and back", async () => {
    const outcome = await openTunnel(f.service.url, `${FORWARD}?port=8080`, f.deployer);
    if (!outcome.open) throw new Error(`refused: ${outcome.status} ${JSON.stringify(outcome.body)}`);

    outcome.ws.send(Buffer.from("ping"));

    expect(await nextMessage(outcome.ws)).toBe("PING");
    expect(f.shop.tunnels).toContain("web-a:8080");
    outcome.ws.close();
    await expect.poll(() => f.shop.tunnels).not.toContain("web-a:8080");
  });

  it("closes with 1008 when its token is revoked", async () => {
    const token = await f.projectToken("deploy");
    const outcome = await openTunnel(f.service.url, `${FORWARD}?port=8080&pod=web-a`, token.token);
    if (!outcome.open) throw new Error(`refused: ${outcome.status}`);
    const code = closed(outcome.ws);

    await f.revoke(token.id);

    expect(await code).toBe(1008);
    await expect.poll(() => f.shop.tunnels.length).toBe(0);
  });

  it("reaches only the app's own pods (404 for another name)", async () => {
    const outcome = await openTunnel(f.service.url, `${FORWARD}?port=8080&pod=db-0`, f.ana);

    expect(outcome).toMatchObject({ open: false, status: 404 });
  });

  it("refuses a read token with 403", async () => {
    const outcome = await openTunnel(f.service.url, `${FORWARD}?port=8080`, f.reader);

    expect(outcome).toMatchObject({
      open: false,
      status: 403,
      body: { detail: expect.stringMatching(/'read'/) },
    });
  });

  it("is the same 404 for another member, and 401 for a revoked token or none", async () => {
    expect(await openTunnel(f.service.url, `${FORWARD}?port=8080`, f.bob)).toMatchObject({ status: 404 });
    expect(await openTunnel(f.service.url, `${FORWARD}?port=8080`, f.revoked)).toMatchObject({ status: 401 });
    expect(await openTunnel(f.service.url, `${FORWARD}?port=8080`)).toMatchObject({ status: 401 });
  });

  it("answers a request without a WebSocket upgrade with 426 naming the upgrade", async () => {
    const response = await f.service.get(`${FORWARD}?port=8080`, f.ana);

    expect(response.status).toBe(426);
    expect(response.headers.get("upgrade")).toBe("websocket");
    expect(response.body).toMatchObject({ type: "urn:pluskube:problem:upgrade-required" });
  });

  it.each(["", "?port=0", "?port=70000", "?port=http", "?port=80&colour=red"])(
    "refuses %s with 400 naming what is allowed",
    async (query) => {
      const outcome = await openTunnel(f.service.url, `${FORWARD}${query}`, f.ana);

      expect(outcome).toMatchObject({ open: false, status: 400 });
      if (!outcome.open) expect(JSON.stringify(outcome.body["errors"])).toMatch(/port|colour/);
    },
  );

  it("says the pod cannot be reached when the cluster refuses the tunnel (502)", async () => {
    f.shop.refusedTunnels.set("web-a", 500);
    try {
      const outcome = await openTunnel(f.service.url, `${FORWARD}?port=8080`, f.ana);

      expect(outcome).toMatchObject({
        open: false,
        status: 502,
        body: { type: expect.stringMatching(/pod-unreachable$/) },
      });
    } finally {
      f.shop.refusedTunnels.delete("web-a");
    }
  });
});
