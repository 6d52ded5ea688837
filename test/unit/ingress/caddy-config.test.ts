import { beforeAll, describe, expect, it } from "vitest";
import {
  caddyConfig,
  caddySettings,
  canonicalJson,
  configShape,
  pathPattern,
  PROXY_TUNING,
  quoteRegexp,
} from "../../../localzone/ingress/caddy-config.js";
import { routingTable, type RoutingTable } from "../../../localzone/ingress/routing.js";
import { testCertificate, type TestCertificate } from "../../helpers/test-certificate.js";
import { endpoint, HOST, ingress, NS, path, rule, slice, tlsSecret, view, webApp } from "./fixtures.js";

const settings = caddySettings("/zone");

// The parts of Caddy's JSON the assertions walk through.
interface Handler {
  handler: string;
  [key: string]: unknown;
}
interface Route {
  match?: { host?: string[]; path_regexp?: { pattern: string } }[];
  handle: Handler[];
  terminal?: boolean;
}
interface Server {
  listen: string[];
  routes: Route[];
  automatic_https?: { disable?: boolean };
  tls_connection_policies?: { match?: { sni?: string[] }; certificate_selection?: { any_tag?: string[] } }[];
  strict_sni_host?: boolean;
}
interface Config {
  admin: { listen: string; config: { persist: boolean } };
  storage: { module: string; root: string };
  logging: { logs: Record<string, { writer: { output: string; filename?: string } }> };
  apps: {
    http: { servers: { http: Server; https: Server } };
    tls: {
      certificates?: { load_pem: { certificate: string; key: string; tags: string[] }[] };
      disable_ocsp_stapling?: boolean;
    };
  };
}

function config(table: RoutingTable): Config {
  return caddyConfig(table, settings) as unknown as Config;
}

const empty: RoutingTable = { hosts: [], certificates: [], served: new Map(), warnings: [] };

/** The path routes inside the subroute of one host's route. */
function pathRoutes(route: Route | undefined): Route[] {
  const subroute = route?.handle[0] as { handler: string; routes: Route[] } | undefined;
  expect(subroute?.handler).toBe("subroute");
  return subroute?.routes ?? [];
}

describe("path patterns", () => {
  it("quotes every character RE2 treats specially", () => {
    expect(quoteRegexp("/a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o")).toBe(
      "/a\\.b\\+c\\*d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o",
    );
  });

  // The patterns use the syntax RE2 and JavaScript share, so JavaScript can check what they match.
  it.each([
    ["Prefix", "/", ["/", "/a", "/a/b"], []],
    ["Prefix", "/api", ["/api", "/api/", "/api/v1/x"], ["/apiv1", "/Api", "/ap", "/x/api"]],
    ["Prefix", "/a.b", ["/a.b", "/a.b/c"], ["/aXb", "/a.bc"]],
    ["Exact", "/api", ["/api"], ["/api/", "/api/v1", "/API"]],
    ["Exact", "/", ["/"], ["/a"]],
  ] as const)("%s %s matches what the Ingress API says and nothing else", (match, value, yes, no) => {
    const re = new RegExp(pathPattern({ match, path: value }));
    for (const p of yes) expect(p).toMatch(re);
    for (const p of no) expect(p).not.toMatch(re);
  });
});

describe("the configuration Caddy runs", () => {
  it("listens on loopback only, admin API included, and keeps its files under the zone folder", () => {
    const c = config(empty);

    expect(c.admin).toEqual({ listen: "127.0.0.1:12019", config: { persist: false } });
    expect(c.apps.http.servers.http.listen).toEqual(["127.0.0.1:18880"]);
    expect(c.apps.http.servers.https.listen).toEqual(["127.0.0.1:18443"]);
    expect(c.storage).toEqual({ module: "file_system", root: "/zone/caddy/data" });
    expect(c.logging.logs["access"]?.writer).toMatchObject({
      output: "file",
      filename: "/zone/logs/caddy-access.log",
    });
    expect(c.logging.logs["default"]?.writer).toEqual({ output: "stderr" });
  });

  it("turns off automatic HTTPS and OCSP, and names no certificate issuer, so Caddy calls nowhere", () => {
    const c = config(empty);
    const text = JSON.stringify(c);

    expect(c.apps.http.servers.http.automatic_https).toEqual({ disable: true });
    expect(c.apps.http.servers.https.automatic_https).toEqual({ disable: true });
    expect(c.apps.tls.disable_ocsp_stapling).toBe(true);
    expect(text).not.toMatch(/acme|issuer|zerossl|on_demand|automation/i);
  });

  it("answers 404 for a host no Ingress names, on both ports", () => {
    const c = config(empty);

    for (const server of [c.apps.http.servers.http, c.apps.http.servers.https]) {
      expect(server.routes).toHaveLength(1);
      expect(server.routes[0]?.match).toBeUndefined();
      expect(server.routes[0]?.handle[0]).toMatchObject({ handler: "static_response", status_code: 404 });
    }
  });

  it("keeps the HTTPS port speaking TLS even without any certificate", () => {
    const https = config(empty).apps.http.servers.https;

    expect(https.tls_connection_policies).toEqual([
      { certificate_selection: { any_tag: ["pluskube-no-certificate"] } },
    ]);
  });

  it("gives each host a route that matches its name and ends in a 404 for unknown paths", () => {
    const routes = config(routingTable(webApp(), "pluskube")).apps.http.servers.http.routes;

    expect(routes).toHaveLength(2);
    expect(routes[0]?.match).toEqual([{ host: [HOST] }]);
    expect(routes[0]?.terminal).toBe(true);
    const paths = pathRoutes(routes[0]);
    expect(paths.at(-1)).toEqual({
      handle: [expect.objectContaining({ handler: "static_response", status_code: 404 })],
    });
  });

  it("proxies a path to its upstreams with retries, passive health checks and forwarded headers", () => {
    const [route] = pathRoutes(config(routingTable(webApp(), "pluskube")).apps.http.servers.http.routes[0]);

    expect(route?.match).toBeUndefined();
    expect(route?.terminal).toBe(true);
    expect(route?.handle).toEqual([
      {
        handler: "reverse_proxy",
        upstreams: [{ dial: "10.244.0.5:8080" }, { dial: "10.244.0.6:8080" }],
        dynamic_upstreams: {
          source: "a",
          name: `t8080.phttp.web.${NS}.upstreams.pluskube.`,
          port: "8080",
          refresh: PROXY_TUNING.upstreamRefresh,
          resolver: { addresses: ["127.0.0.1:12053"] },
          versions: { ipv4: true },
        },
        transport: { protocol: "http", dial_timeout: PROXY_TUNING.dialTimeout },
        load_balancing: {
          selection_policy: { policy: "round_robin" },
          retries: PROXY_TUNING.retries,
          try_duration: PROXY_TUNING.tryDuration,
          try_interval: PROXY_TUNING.tryInterval,
        },
        health_checks: { passive: { fail_duration: PROXY_TUNING.failDuration, max_fails: 1 } },
        headers: {
          request: {
            set: {
              "X-Forwarded-Port": ["{http.request.local.port}"],
              "X-Real-Ip": ["{http.request.remote.host}"],
            },
          },
        },
      },
    ]);
  });

  it("looks up each container port of a backend separately when its pods disagree on it", () => {
    const app = webApp();
    const slices = [
      slice("web-old", "web", [endpoint("10.244.0.5")], [{ name: "http", port: 8080 }]),
      slice("web-new", "web", [endpoint("10.244.0.7")], [{ name: "http", port: 9090 }]),
    ];

    const [route] = pathRoutes(
      config(routingTable({ ...app, endpointSlices: slices }, "pluskube")).apps.http.servers.http.routes[0],
    );

    expect(route?.handle[0]?.["dynamic_upstreams"]).toEqual({
      source: "multi",
      sources: [8080, 9090].map((port) => ({
        source: "a",
        name: `t${port}.phttp.web.${NS}.upstreams.pluskube.`,
        port: String(port),
        refresh: PROXY_TUNING.upstreamRefresh,
        resolver: { addresses: ["127.0.0.1:12053"] },
        versions: { ipv4: true },
      })),
    });
  });

  it("keeps its shape when only the pods change, so no reload is needed", () => {
    const app = webApp();
    const moved = routingTable(
      { ...app, endpointSlices: [slice("web-a", "web", [endpoint("10.244.0.9"), endpoint("10.244.0.10")])] },
      "pluskube",
    );
    const otherPort = routingTable(
      {
        ...app,
        endpointSlices: [slice("web-a", "web", [endpoint("10.244.0.9")], [{ name: "http", port: 9090 }])],
      },
      "pluskube",
    );
    const none = routingTable({ ...app, endpointSlices: [] }, "pluskube");
    const before = caddyConfig(routingTable(app, "pluskube"), settings);

    expect(configShape(caddyConfig(moved, settings))).toBe(configShape(before));
    expect(canonicalJson(caddyConfig(moved, settings))).not.toBe(canonicalJson(before));
    expect(configShape(caddyConfig(otherPort, settings))).not.toBe(configShape(before));
    expect(configShape(caddyConfig(none, settings))).not.toBe(configShape(before));
  });

  it("matches paths case-sensitively by regular expression, in match order", () => {
    const app = webApp();
    const paths = ingress("web", [
      rule(HOST, path("/", "web", "http"), path("/api", "web", "http"), path("/api", "web", "http", "Exact")),
    ]);

    const routes = pathRoutes(
      config(routingTable({ ...app, ingresses: [paths] }, "pluskube")).apps.http.servers.http.routes[0],
    );

    expect(routes.map((r) => r.match)).toEqual([
      [{ path_regexp: { pattern: "^/api$" } }],
      [{ path_regexp: { pattern: "^/api(/.*)?$" } }],
      undefined,
      undefined,
    ]);
  });

  it("answers 503 with Retry-After when a path has no ready endpoint", () => {
    const app = webApp();
    const table = routingTable(
      { ...app, endpointSlices: [slice("w", "web", [endpoint("10.244.0.5", { ready: false })])] },
      "pluskube",
    );

    const [route] = pathRoutes(config(table).apps.http.servers.http.routes[0]);

    expect(route?.handle).toEqual([
      {
        handler: "static_response",
        status_code: 503,
        headers: { "Content-Type": ["text/plain; charset=utf-8"], "Retry-After": ["5"] },
        body: "503 no ready endpoints for web:http\n",
      },
    ]);
  });

  describe("with TLS", () => {
    let cert: TestCertificate;
    let table: RoutingTable;

    beforeAll(() => {
      cert = testCertificate([HOST]);
      const app = webApp();
      const secured = ingress("web", [rule(HOST, path("/", "web", "http"))], {
        tls: [{ hosts: [HOST], secretName: "web-tls" }],
      });
      const plain = ingress("plain", [rule("plain.test", path("/", "web", "http"))]);
      table = routingTable(
        view({ ...app, ingresses: [secured, plain], secrets: [tlsSecret("web-tls", cert)] }),
        "pluskube",
      );
    });

    it("loads the Secret's certificate and key, tagged with the Secret", () => {
      expect(config(table).apps.tls.certificates?.load_pem).toEqual([
        { certificate: cert.certificatePem, key: cert.keyPem, tags: [`${NS}/web-tls`] },
      ]);
    });

    it("serves only hosts with a certificate on the HTTPS port, each with its own certificate", () => {
      const https = config(table).apps.http.servers.https;

      expect(https.routes.map((r) => r.match?.[0]?.host)).toEqual([[HOST], undefined]);
      expect(https.tls_connection_policies).toEqual([
        { match: { sni: [HOST] }, certificate_selection: { any_tag: [`${NS}/web-tls`] } },
        { certificate_selection: { any_tag: ["pluskube-no-certificate"] } },
      ]);
      expect(https.strict_sni_host).toBe(true);
    });

    it("still serves every host over plain HTTP", () => {
      const http = config(table).apps.http.servers.http;

      expect(http.routes.map((r) => r.match?.[0]?.host)).toEqual([["plain.test"], [HOST], undefined]);
      expect(http.tls_connection_policies).toBeUndefined();
    });
  });
});

describe("canonical JSON", () => {
  it("is the same text for the same value whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
  });

  it("tells different values apart", () => {
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it("leaves out the keys it is told to, at any depth", () => {
    expect(canonicalJson({ a: { upstreams: [1], b: 2 }, upstreams: 3 }, new Set(["upstreams"]))).toBe(
      '{"a":{"b":2}}',
    );
  });
});
