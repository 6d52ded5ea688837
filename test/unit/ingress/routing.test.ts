import { beforeAll, describe, expect, it } from "vitest";
import {
  pathMatch,
  routingTable,
  sliceUpstreams,
  type HostRoute,
  type RoutingTable,
} from "../../../localzone/ingress/routing.js";
import { testCertificate, type TestCertificate } from "../../helpers/test-certificate.js";
import {
  endpoint,
  HOST,
  ingress,
  NS,
  path,
  rule,
  service,
  slice,
  tlsSecret,
  view,
  webApp,
} from "./fixtures.js";

const CLASS = "pluskube";

function onlyHost(table: RoutingTable): HostRoute {
  const [host, ...others] = table.hosts;
  expect(others).toEqual([]);
  if (host === undefined) throw new Error("no host served");
  return host;
}

describe("which Ingresses are served", () => {
  it("serves an Ingress of the class by ingressClassName", () => {
    const table = routingTable(webApp(), CLASS);

    expect(table.hosts.map((h) => h.host)).toEqual([HOST]);
    expect(table.served.get(`${NS}/web`)).toEqual({ paths: 1, tls: false });
  });

  it("ignores Ingresses of another class and Ingresses without a class", () => {
    const other = ingress("other", [rule("other.test", path("/", "web", "http"))], { className: "nginx" });
    const none = ingress("none", [rule("none.test", path("/", "web", "http"))], { className: null });

    const table = routingTable(view({ ingresses: [other, none], services: [service("web")] }), CLASS);

    expect(table.hosts).toEqual([]);
    expect(table.served.size).toBe(0);
    expect(table.warnings).toEqual([]);
  });

  it("serves an Ingress that names the class with the older annotation", () => {
    const legacy = ingress("legacy", [rule(HOST, path("/", "web", "http"))], {
      className: null,
      annotations: { "kubernetes.io/ingress.class": CLASS },
    });

    const table = routingTable({ ...webApp(), ingresses: [legacy] }, CLASS);

    expect(onlyHost(table).paths[0]?.ingress).toBe(`${NS}/legacy`);
  });
});

describe("hosts", () => {
  it("matches host names in lower case", () => {
    const app = webApp();
    const table = routingTable(
      { ...app, ingresses: [ingress("web", [rule("Web.Local.Pluskube.Test", path("/", "web", "http"))])] },
      CLASS,
    );

    expect(onlyHost(table).host).toBe("web.local.pluskube.test");
  });

  it("refuses wildcard hosts and says so", () => {
    const app = webApp();
    const wildcard = ingress("wild", [rule("*.local.pluskube.test", path("/", "web", "http"))]);

    const table = routingTable({ ...app, ingresses: [wildcard] }, CLASS);

    expect(table.hosts).toEqual([]);
    expect(table.warnings).toEqual([
      `${NS}/wild: wildcard host *.local.pluskube.test refused; name each host`,
    ]);
  });

  it("refuses rules without a host and a defaultBackend, which would answer for every host", () => {
    const app = webApp();
    const catchAll = ingress("all", [rule(undefined, path("/", "web", "http"))], {
      defaultBackend: path("/", "web", "http").backend,
    });

    const table = routingTable({ ...app, ingresses: [catchAll] }, CLASS);

    expect(table.hosts).toEqual([]);
    expect(table.served.size).toBe(0);
    expect(table.warnings).toEqual([
      `${NS}/all: defaultBackend refused (it would answer for every host)`,
      `${NS}/all: rule without host refused (it would answer for every host)`,
    ]);
  });

  it("keeps a host for the namespace of its oldest Ingress; another namespace cannot add to it", () => {
    const owner = ingress("web", [rule(HOST, path("/", "web", "http"))], { created: "2026-01-01T00:00:00Z" });
    const intruder = ingress("steal", [rule(HOST, path("/admin", "web", "http"))], {
      namespace: "team-b",
      created: "2026-01-02T00:00:00Z",
    });
    const app = webApp();

    // The intruder comes first in the input and sorts first by name: age decides, not order.
    const table = routingTable(
      {
        ...app,
        ingresses: [intruder, owner],
        services: [...app.services, service("web", undefined, { namespace: "team-b" })],
      },
      CLASS,
    );

    const host = onlyHost(table);
    expect(host.namespace).toBe(NS);
    expect(host.paths.map((p) => p.path)).toEqual(["/"]);
    expect(table.served.has("team-b/steal")).toBe(false);
    expect(table.warnings).toEqual([
      `team-b/steal: host ${HOST} belongs to ${NS}/web in namespace ${NS}; refused`,
    ]);
  });

  it("merges the paths of several Ingresses of the same namespace for one host", () => {
    const app = webApp();
    const api = ingress("api", [rule(HOST, path("/api", "web", "http"))], {
      created: "2026-01-03T00:00:00Z",
    });

    const table = routingTable({ ...app, ingresses: [...app.ingresses, api] }, CLASS);

    expect(onlyHost(table).paths.map((p) => [p.path, p.ingress])).toEqual([
      ["/api", `${NS}/api`],
      ["/", `${NS}/web`],
    ]);
  });

  it("sorts hosts by name", () => {
    const app = webApp();
    const many = ingress("many", [
      rule("b.test", path("/", "web", "http")),
      rule("c.test", path("/", "web", "http")),
      rule("a.test", path("/", "web", "http")),
    ]);

    const table = routingTable({ ...app, ingresses: [many] }, CLASS);

    expect(table.hosts.map((h) => h.host)).toEqual(["a.test", "b.test", "c.test"]);
  });

  it("leaves out a host none of whose paths is served", () => {
    const app = webApp();
    const broken = ingress("broken", [rule(HOST, path("relative", "web", "http"))]);

    const table = routingTable({ ...app, ingresses: [broken] }, CLASS);

    expect(table.hosts).toEqual([]);
    expect(table.warnings).toEqual([`${NS}/broken: ${HOST}: path "relative" does not start with /; refused`]);
  });
});

describe("paths", () => {
  it.each([
    ["Prefix", "/", { match: "Prefix", path: "/" }],
    ["Prefix", "/api", { match: "Prefix", path: "/api" }],
    ["Prefix", "/api/", { match: "Prefix", path: "/api" }],
    ["Prefix", "/api//", { match: "Prefix", path: "/api" }],
    ["Exact", "/api/", { match: "Exact", path: "/api/" }],
    ["Exact", "/", { match: "Exact", path: "/" }],
    ["ImplementationSpecific", "/api/", { match: "Prefix", path: "/api" }],
    ["ImplementationSpecific", undefined, { match: "Prefix", path: "/" }],
    ["Prefix", "api", { refused: 'path "api" does not start with /' }],
  ] as const)("%s %s is served as %j", (pathType, value, expected) => {
    expect(pathMatch(path(value, "web", "http", pathType))).toEqual(expected);
  });

  it("orders paths longest first, and Exact before Prefix of the same path", () => {
    const app = webApp();
    const many = ingress("web", [
      rule(
        HOST,
        path("/", "web", "http"),
        path("/a", "web", "http", "Prefix"),
        path("/a/b/c", "web", "http", "Exact"),
        path("/a", "web", "http", "Exact"),
        path("/a/b", "web", "http"),
      ),
    ]);

    const table = routingTable({ ...app, ingresses: [many] }, CLASS);

    expect(onlyHost(table).paths.map((p) => `${p.match} ${p.path}`)).toEqual([
      "Exact /a/b/c",
      "Prefix /a/b",
      "Exact /a",
      "Prefix /a",
      "Prefix /",
    ]);
  });

  it("gives a path asked twice to the older Ingress and says so", () => {
    const app = webApp();
    const newer = ingress("newer", [rule(HOST, path("/", "other", "http"))], {
      created: "2026-02-01T00:00:00Z",
    });

    const table = routingTable({ ...app, ingresses: [newer, ...app.ingresses] }, CLASS);

    expect(onlyHost(table).paths.map((p) => p.ingress)).toEqual([`${NS}/web`]);
    expect(table.warnings).toEqual([`${NS}/newer: ${HOST}/ (Prefix) is served by ${NS}/web; refused`]);
  });

  it("counts /api/ and /api as the same Prefix path", () => {
    const app = webApp();
    const twice = ingress("web", [rule(HOST, path("/api", "web", "http"), path("/api/", "web", "http"))]);

    const table = routingTable({ ...app, ingresses: [twice] }, CLASS);

    expect(onlyHost(table).paths).toHaveLength(1);
    expect(table.warnings).toEqual([]);
  });

  it("refuses a resource backend", () => {
    const app = webApp();
    const resource = ingress("res", [
      rule(HOST, { path: "/", pathType: "Prefix", backend: { resource: { kind: "Bucket", name: "b" } } }),
    ]);

    const table = routingTable({ ...app, ingresses: [resource] }, CLASS);

    expect(table.hosts).toEqual([]);
    expect(table.warnings).toEqual([
      `${NS}/res: ${HOST}/: backend resource Bucket refused; only service backends are served`,
    ]);
  });
});

describe("backends", () => {
  it("sends a path to the ready pods' addresses at the container port", () => {
    const route = onlyHost(routingTable(webApp(), CLASS)).paths[0];

    expect(route).toEqual({
      match: "Prefix",
      path: "/",
      ingress: `${NS}/web`,
      service: "web:http",
      upstreams: ["10.244.0.5:8080", "10.244.0.6:8080"],
      upstreamName: `phttp.web.${NS}`,
    });
  });

  it("finds the Service port by number as well as by name", () => {
    const app = webApp();
    const byNumber = ingress("web", [rule(HOST, path("/", "web", 80))]);

    const route = onlyHost(routingTable({ ...app, ingresses: [byNumber] }, CLASS)).paths[0];

    expect(route?.service).toBe("web:80");
    expect(route?.upstreams).toEqual(["10.244.0.5:8080", "10.244.0.6:8080"]);
  });

  it("takes each slice's own number for a named target port, so pods may disagree on it", () => {
    const app = webApp();
    const slices = [
      slice("web-old", "web", [endpoint("10.244.0.5")], [{ name: "http", port: 8080 }]),
      slice("web-new", "web", [endpoint("10.244.0.7")], [{ name: "http", port: 9090 }]),
    ];

    const route = onlyHost(routingTable({ ...app, endpointSlices: slices }, CLASS)).paths[0];

    expect(route?.upstreams).toEqual(["10.244.0.5:8080", "10.244.0.7:9090"]);
  });

  it("picks the slice port of the Service port named, among several", () => {
    const app = webApp();
    const ports = [
      { name: "http", port: 80, targetPort: 8080 },
      { name: "metrics", port: 9100, targetPort: 9100 },
    ];
    const slices = [
      slice(
        "web-a",
        "web",
        [endpoint("10.244.0.5")],
        [
          { name: "metrics", port: 9100 },
          { name: "http", port: 8080 },
        ],
      ),
    ];
    const metrics = ingress("web", [rule(HOST, path("/metrics", "web", 9100))]);

    const route = onlyHost(
      routingTable(
        { ...app, ingresses: [metrics], services: [service("web", ports)], endpointSlices: slices },
        CLASS,
      ),
    ).paths[0];

    expect(route?.upstreams).toEqual(["10.244.0.5:9100"]);
  });

  it("matches a Service's one unnamed port with the slice's unnamed port", () => {
    const app = webApp();
    const unnamed = service("web", [{ port: 80, targetPort: 8080 }]);
    const slices = [slice("web-a", "web", [endpoint("10.244.0.5")], [{ port: 8080, protocol: "TCP" }])];
    const byNumber = ingress("web", [rule(HOST, path("/", "web", 80))]);

    const route = onlyHost(
      routingTable({ ...app, ingresses: [byNumber], services: [unnamed], endpointSlices: slices }, CLASS),
    ).paths[0];

    expect(route?.upstreams).toEqual(["10.244.0.5:8080"]);
    expect(route?.upstreamName).toBe(`p.web.${NS}`);
  });

  it("leaves out endpoints that are not ready or are terminating, and counts unknown readiness as ready", () => {
    const endpoints = [
      endpoint("10.244.0.1", { ready: true, serving: true, terminating: false }),
      endpoint("10.244.0.2", { ready: false, serving: false, terminating: false }),
      endpoint("10.244.0.3", { ready: false, serving: true, terminating: true }),
      endpoint("10.244.0.4", {}),
      { addresses: ["10.244.0.5"] },
    ];

    expect(sliceUpstreams(slice("s", "web", endpoints), "http")).toEqual([
      "10.244.0.1:8080",
      "10.244.0.4:8080",
      "10.244.0.5:8080",
    ]);
  });

  it("uses the first address of an endpoint, and reads IPv4 slices only", () => {
    const twoAddresses = { addresses: ["10.244.0.1", "10.244.0.9"] };

    expect(sliceUpstreams(slice("s", "web", [twoAddresses]), "http")).toEqual(["10.244.0.1:8080"]);
    expect(
      sliceUpstreams(slice("s", "web", [endpoint("fd00::5")], undefined, { addressType: "IPv6" }), "http"),
    ).toEqual([]);
    expect(
      sliceUpstreams(slice("s", "web", [endpoint("db.example")], undefined, { addressType: "FQDN" }), "http"),
    ).toEqual([]);
  });

  it("skips a slice without the port, or with the port for UDP only", () => {
    expect(
      sliceUpstreams(slice("s", "web", [endpoint("10.244.0.1")], [{ name: "dns", port: 53 }]), "http"),
    ).toEqual([]);
    expect(
      sliceUpstreams(
        slice("s", "web", [endpoint("10.244.0.1")], [{ name: "http", port: 53, protocol: "UDP" }]),
        "http",
      ),
    ).toEqual([]);
    expect(sliceUpstreams({ ...slice("s", "web", [endpoint("10.244.0.1")]), ports: null }, "http")).toEqual(
      [],
    );
  });

  it("dedupes an address that two slices list", () => {
    const app = webApp();
    const slices = [
      slice("web-a", "web", [endpoint("10.244.0.5")]),
      slice("web-b", "web", [endpoint("10.244.0.5"), endpoint("10.244.0.6")]),
    ];

    const route = onlyHost(routingTable({ ...app, endpointSlices: slices }, CLASS)).paths[0];

    expect(route?.upstreams).toEqual(["10.244.0.5:8080", "10.244.0.6:8080"]);
  });

  it("ignores slices of another Service or of the same Service name in another namespace", () => {
    const app = webApp();
    const slices = [
      slice("api-a", "api", [endpoint("10.244.0.8")]),
      slice("web-b", "web", [endpoint("10.244.0.9")], undefined, { namespace: "team-b" }),
      { ...slice("loose", "web", [endpoint("10.244.0.10")]), metadata: { name: "loose", namespace: NS } },
    ];

    const route = onlyHost(routingTable({ ...app, endpointSlices: slices }, CLASS)).paths[0];

    expect(route?.upstreams).toEqual([]);
    expect(route?.unavailable).toBe("no ready endpoints for web:http");
  });

  it.each([
    ["the Service is missing", { services: [] }, "service web not found"],
    [
      "the Service lacks the port",
      { services: [service("web", [{ name: "grpc", port: 90 }])] },
      "service web has no port http",
    ],
    [
      "the port is UDP",
      { services: [service("web", [{ name: "http", port: 80, protocol: "UDP" }])] },
      "port http of web is not TCP",
    ],
    [
      "the Service is ExternalName",
      { services: [service("web", [], { type: "ExternalName" })] },
      "service web is ExternalName, not served",
    ],
    [
      "no pod is ready",
      { endpointSlices: [slice("w", "web", [endpoint("10.244.0.5", { ready: false })])] },
      "no ready endpoints for web:http",
    ],
  ])("keeps the path with a reason for 503 when %s", (_what, change, reason) => {
    const table = routingTable({ ...webApp(), ...change }, CLASS);

    const route = onlyHost(table).paths[0];
    expect(route?.upstreams).toEqual([]);
    expect(route?.unavailable).toBe(reason);
    expect(table.served.get(`${NS}/web`)).toEqual({ paths: 1, tls: false });
  });

  it("does not reach a Service of another namespace with the same name", () => {
    const app = webApp();
    const elsewhere = service("web", undefined, { namespace: "team-b" });
    const slices = [slice("web-b", "web", [endpoint("10.244.0.9")], undefined, { namespace: "team-b" })];

    const route = onlyHost(routingTable({ ...app, services: [elsewhere], endpointSlices: slices }, CLASS))
      .paths[0];

    expect(route?.unavailable).toBe("service web not found");
  });
});

describe("TLS", () => {
  let cert: TestCertificate;
  let otherCert: TestCertificate;
  let wildcard: TestCertificate;

  beforeAll(() => {
    cert = testCertificate([HOST, "www.local.pluskube.test"]);
    otherCert = testCertificate(["other.test"]);
    wildcard = testCertificate(["*.local.pluskube.test"]);
  });

  function withTls(secretName: string | undefined, hosts = [HOST]) {
    const app = webApp();
    return {
      ...app,
      ingresses: [
        ingress("web", [rule(HOST, path("/", "web", "http"))], {
          tls: [{ hosts, ...(secretName === undefined ? {} : { secretName }) }],
        }),
      ],
    };
  }

  it("presents the certificate of the named kubernetes.io/tls Secret for the host", () => {
    const table = routingTable({ ...withTls("web-tls"), secrets: [tlsSecret("web-tls", cert)] }, CLASS);

    expect(onlyHost(table).certificate).toBe(`${NS}/web-tls`);
    expect(table.certificates).toEqual([
      { tag: `${NS}/web-tls`, certificatePem: cert.certificatePem, keyPem: cert.keyPem },
    ]);
    expect(table.served.get(`${NS}/web`)).toEqual({ paths: 1, tls: true });
    expect(table.warnings).toEqual([]);
  });

  it("accepts a wildcard certificate for an exact host", () => {
    const table = routingTable({ ...withTls("wild"), secrets: [tlsSecret("wild", wildcard)] }, CLASS);

    expect(onlyHost(table).certificate).toBe(`${NS}/wild`);
  });

  it("loads a Secret used for two hosts once", () => {
    const app = webApp();
    const both = ingress(
      "web",
      [rule(HOST, path("/", "web", "http")), rule("www.local.pluskube.test", path("/", "web", "http"))],
      { tls: [{ hosts: [HOST, "www.local.pluskube.test"], secretName: "web-tls" }] },
    );

    const table = routingTable({ ...app, ingresses: [both], secrets: [tlsSecret("web-tls", cert)] }, CLASS);

    expect(table.hosts.map((h) => h.certificate)).toEqual([`${NS}/web-tls`, `${NS}/web-tls`]);
    expect(table.certificates).toHaveLength(1);
  });

  it.each([
    ["the Secret is missing", () => [], "secret web-tls not found"],
    [
      "the Secret is of another type",
      () => [tlsSecret("web-tls", cert, { type: "Opaque" })],
      "secret web-tls is not of type kubernetes.io/tls",
    ],
    [
      "the key belongs to another certificate",
      () => [tlsSecret("web-tls", { certificatePem: cert.certificatePem, keyPem: otherCert.keyPem })],
      "secret web-tls: tls.key does not match tls.crt",
    ],
    [
      "the certificate is for other names",
      () => [tlsSecret("web-tls", otherCert)],
      `secret web-tls: certificate does not cover ${HOST}`,
    ],
  ])("serves the host over HTTP only when %s, and says why", (_what, secrets, reason) => {
    const table = routingTable({ ...withTls("web-tls"), secrets: secrets() }, CLASS);

    expect(onlyHost(table).certificate).toBeUndefined();
    expect(table.certificates).toEqual([]);
    expect(table.served.get(`${NS}/web`)).toEqual({ paths: 1, tls: false });
    expect(table.warnings).toEqual([`${NS}/web: TLS for ${HOST} refused: ${reason}`]);
  });

  it("refuses a Secret that is not PEM at all", () => {
    const broken = { ...tlsSecret("web-tls", cert), data: { "tls.crt": "bm90IGEgY2VydA==", "tls.key": "" } };

    const table = routingTable({ ...withTls("web-tls"), secrets: [broken] }, CLASS);

    expect(onlyHost(table).certificate).toBeUndefined();
    expect(table.warnings[0]).toMatch(new RegExp(`^${NS}/web: TLS for ${HOST} refused: secret web-tls: `));
  });

  it("says the zone has no default certificate when a TLS entry names no Secret", () => {
    const table = routingTable(withTls(undefined), CLASS);

    expect(onlyHost(table).certificate).toBeUndefined();
    expect(table.warnings).toEqual([
      `${NS}/web: TLS for ${HOST} names no secret; the zone has no default certificate`,
    ]);
  });

  it("never reads a Secret of another namespace, nor presents one for another namespace's host", () => {
    const app = webApp();
    const owner = ingress("web", [rule(HOST, path("/", "web", "http"))]);
    const other = ingress("steal", [rule("b.test", path("/", "web", "http"))], {
      namespace: "team-b",
      created: "2026-01-05T00:00:00Z",
      tls: [{ hosts: [HOST, "b.test"], secretName: "web-tls" }],
    });

    const table = routingTable(
      {
        ...app,
        ingresses: [owner, other],
        services: [...app.services, service("web", undefined, { namespace: "team-b" })],
        secrets: [tlsSecret("web-tls", cert)],
      },
      CLASS,
    );

    expect(table.hosts.map((h) => [h.host, h.certificate])).toEqual([
      ["b.test", undefined],
      [HOST, undefined],
    ]);
    expect(table.warnings).toEqual(["team-b/steal: TLS for b.test refused: secret web-tls not found"]);
  });
});

describe("stability", () => {
  it("gives the same table whatever the order of the objects", () => {
    const app = webApp();
    const web = ingress("web", [rule(HOST, path("/", "web", "http"))]);
    const api = ingress("api", [rule("api.test", path("/", "web", "http"))], {
      created: "2026-01-02T00:00:00Z",
    });
    const slices = [
      slice("web-a", "web", [endpoint("10.244.0.9"), endpoint("10.244.0.2")]),
      slice("web-b", "web", [endpoint("10.244.0.5")]),
    ];
    const forward = view({
      ingresses: [web, api],
      services: app.services,
      endpointSlices: slices,
    });
    const backward = view({
      ingresses: [api, web],
      services: app.services,
      endpointSlices: [...slices].reverse(),
    });

    expect(routingTable(backward, CLASS)).toEqual(routingTable(forward, CLASS));
  });
});
