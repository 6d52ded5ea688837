import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CaddyAdmin } from "../../../localzone/ingress/caddy-admin.js";
import { caddySettings } from "../../../localzone/ingress/caddy-config.js";
import { IngressController, WATCHED } from "../../../localzone/ingress/controller.js";
import type { StatusUpdate } from "../../../localzone/ingress/ingress-status.js";
import type { Ingress } from "../../../localzone/ingress/objects.js";
import { FakeApi, until } from "./fake-api.js";
import { endpoint, HOST, ingress, NS, path, rule, service, slice } from "./fixtures.js";

/** Records what it is given; `failNext` makes the next load fail as a refused configuration. */
class FakeCaddy implements CaddyAdmin {
  loaded: unknown[] = [];
  running: unknown = { initial: true };
  failNext = false;

  load(config: unknown): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error("caddy refused the configuration (400): bad"));
    }
    this.loaded.push(config);
    this.running = config;
    return Promise.resolve();
  }

  current(): Promise<unknown> {
    return Promise.resolve(this.running);
  }
}

const NAME = `t8080.phttp.web.${NS}.upstreams.pluskube`;

function upstreamsOf(config: unknown): string[] {
  const text = JSON.stringify(config);
  return [...text.matchAll(/"dial":"([^"]+)"/g)].map((m) => m[1] ?? "");
}

describe("IngressController", () => {
  let api: FakeApi;
  let caddy: FakeCaddy;
  let statuses: StatusUpdate[];
  let logs: string[];
  let stop: AbortController;
  let controller: IngressController;

  beforeEach(() => {
    api = new FakeApi();
    caddy = new FakeCaddy();
    statuses = [];
    logs = [];
    stop = new AbortController();
    api.put(WATCHED.services, service("web"));
    api.put(WATCHED.endpointSlices, slice("web-a", "web", [endpoint("10.244.0.5")]));
    api.put(WATCHED.ingresses, ingress("web", [rule(HOST, path("/", "web", "http"))]));
    controller = new IngressController({
      transport: api,
      admin: caddy,
      // As the API does: the status lands on the object and comes back through the watch.
      writeStatus: (update) => {
        statuses.push(update);
        const current = api.get(WATCHED.ingresses, update.namespace, update.name);
        if (current) {
          api.put(
            WATCHED.ingresses,
            { ...current, status: { loadBalancer: { ingress: update.ingress } } } as Ingress,
            "MODIFIED",
          );
        }
        return Promise.resolve();
      },
      settings: caddySettings("/zone"),
      className: "pluskube",
      log: (line) => logs.push(line),
      quietMs: 20,
      maxWaitMs: 200,
      checkEveryMs: 30,
      retryMs: 30,
    });
    void controller.run(stop.signal);
  });

  afterEach(() => stop.abort());

  it("loads the routes once everything is listed, publishes the address, and logs each route", async () => {
    await until(() => statuses.length === 1);

    expect(caddy.loaded).toHaveLength(1);
    expect(upstreamsOf(caddy.loaded[0])).toEqual(["10.244.0.5:8080"]);
    expect(statuses[0]).toMatchObject({ namespace: NS, name: "web", ingress: [{ ip: "127.0.0.1" }] });
    expect(logs).toContain(`+ ${HOST}/ (Prefix) → web:http [10.244.0.5:8080] (${NS}/web)`);
    expect(logs.some((l) => l.startsWith("caddy: loaded 1 host(s), 1 path(s), 0 certificate(s) in "))).toBe(
      true,
    );
  });

  it("serves new pods through the upstream DNS without loading a configuration", async () => {
    await until(() => caddy.loaded.length === 1);

    for (const ip of ["10.244.0.6", "10.244.0.7", "10.244.0.8"]) {
      api.put(WATCHED.endpointSlices, slice("web-a", "web", [endpoint(ip)]), "MODIFIED");
    }
    await until(() => controller.upstreamRecords().get(NAME)?.[0] === "10.244.0.8");
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(caddy.loaded).toHaveLength(1);
    expect([...controller.upstreamRecords()]).toEqual([[NAME, ["10.244.0.8"]]]);
    expect(logs).toContain(`~ ${HOST}/ (Prefix) → web:http [10.244.0.8:8080] (${NS}/web)`);
    expect(logs).toContain("upstream dns: pods updated, no reload");
  });

  it("loads a burst of Ingress changes once", async () => {
    await until(() => caddy.loaded.length === 1);

    for (const extra of ["/a", "/b", "/c"]) {
      api.put(
        WATCHED.ingresses,
        ingress("web", [rule(HOST, path("/", "web", "http"), path(extra, "web", "http"))]),
        "MODIFIED",
      );
    }
    await until(() => caddy.loaded.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(caddy.loaded).toHaveLength(2);
    expect(JSON.stringify(caddy.loaded[1])).toContain("^/c(/.*)?$");
    expect(JSON.stringify(caddy.loaded[1])).not.toContain("^/b(/.*)?$");
  });

  it("loads again when the pods of a path are all gone, to answer 503", async () => {
    await until(() => caddy.loaded.length === 1);

    api.put(
      WATCHED.endpointSlices,
      slice("web-a", "web", [endpoint("10.244.0.5", { ready: false })]),
      "MODIFIED",
    );
    await until(() => caddy.loaded.length === 2);

    expect(JSON.stringify(caddy.loaded[1])).toContain("503 no ready endpoints for web:http");
    expect(controller.upstreamRecords().size).toBe(0);
  });

  it("does not load again when a change leaves the configuration as it was", async () => {
    await until(() => statuses.length === 1);

    // The status written above comes back as a MODIFIED Ingress; a label on the Service changes nothing either.
    api.put(
      WATCHED.services,
      { ...service("web"), metadata: { name: "web", namespace: NS, labels: { a: "b" } } },
      "MODIFIED",
    );
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(caddy.loaded).toHaveLength(1);
    expect(statuses).toHaveLength(1);
  });

  it("tries again after Caddy refuses a configuration", async () => {
    await until(() => caddy.loaded.length === 1);
    caddy.failNext = true;

    api.put(WATCHED.ingresses, ingress("web", [rule(HOST, path("/v2", "web", "http"))]), "MODIFIED");
    await until(() => caddy.loaded.length === 2);

    expect(logs).toContain("sync failed: caddy refused the configuration (400): bad");
    expect(JSON.stringify(caddy.loaded[1])).toContain("^/v2(/.*)?$");
  });

  it("loads again when Caddy restarted with its first configuration", async () => {
    await until(() => caddy.loaded.length === 1);

    caddy.running = { initial: true };
    await until(() => caddy.loaded.length === 2);

    expect(logs).toContain("caddy: its configuration is not the one loaded last (restarted?); loading again");
    expect(caddy.loaded[1]).toEqual(caddy.loaded[0]);
  });

  it("removes a deleted Ingress's routes", async () => {
    await until(() => caddy.loaded.length === 1);

    api.remove(WATCHED.ingresses, NS, "web");
    await until(() => caddy.loaded.length === 2);

    expect(upstreamsOf(caddy.loaded[1])).toEqual([]);
    expect(logs).toContain(`- ${HOST}/ (Prefix)`);
  });
});
