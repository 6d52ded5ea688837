import { describe, expect, it } from "vitest";
import { describeChanges } from "../../../localzone/ingress/changes.js";
import { publishedStatus, statusUpdates } from "../../../localzone/ingress/ingress-status.js";
import { routingTable } from "../../../localzone/ingress/routing.js";
import { endpoint, HOST, ingress, NS, path, rule, slice, webApp } from "./fixtures.js";

describe("published status", () => {
  it("is the loopback address with the HTTP port, and the HTTPS port when TLS is served", () => {
    expect(publishedStatus({ paths: 1, tls: false })).toEqual([
      { ip: "127.0.0.1", ports: [{ port: 18880, protocol: "TCP" }] },
    ]);
    expect(publishedStatus({ paths: 1, tls: true })).toEqual([
      {
        ip: "127.0.0.1",
        ports: [
          { port: 18880, protocol: "TCP" },
          { port: 18443, protocol: "TCP" },
        ],
      },
    ]);
    expect(publishedStatus(undefined)).toEqual([]);
  });

  it("is written for a served Ingress that lacks it, and not again once it has it", () => {
    const app = webApp();
    const table = routingTable(app, "pluskube");

    const first = statusUpdates(app.ingresses, table.served, "pluskube");
    const published = ingress("web", [rule(HOST, path("/", "web", "http"))], {
      status: { loadBalancer: { ingress: first[0]?.ingress ?? [] } },
    });

    expect(first).toEqual([
      { namespace: NS, name: "web", ingress: publishedStatus({ paths: 1, tls: false }) },
    ]);
    expect(statusUpdates([published], table.served, "pluskube")).toEqual([]);
  });

  it("is cleared from an Ingress of the class that is no longer served, and left alone on other classes", () => {
    const address = { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } };
    const refused = ingress("wild", [rule("*.test", path("/", "web", "http"))], { status: address });
    const foreign = ingress("nginx", [rule("a.test", path("/", "web", "http"))], {
      className: "nginx",
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } },
    });

    const updates = statusUpdates([refused, foreign], new Map(), "pluskube");

    expect(updates).toEqual([{ namespace: NS, name: "wild", ingress: [] }]);
  });
});

describe("log lines", () => {
  it("says what each path serves on the first load", () => {
    expect(describeChanges(undefined, routingTable(webApp(), "pluskube"))).toEqual([
      `+ ${HOST}/ (Prefix) → web:http [10.244.0.5:8080 10.244.0.6:8080] (${NS}/web)`,
    ]);
  });

  it("says nothing when nothing changed", () => {
    const table = routingTable(webApp(), "pluskube");

    expect(describeChanges(table, routingTable(webApp(), "pluskube"))).toEqual([]);
  });

  it("gives one line per changed, added and removed path", () => {
    const before = routingTable(webApp(), "pluskube");
    const app = webApp();
    const next = routingTable(
      {
        ...app,
        ingresses: [ingress("web", [rule(HOST, path("/", "web", "http"), path("/api", "web", "http"))])],
        endpointSlices: [slice("w", "web", [endpoint("10.244.0.7")])],
      },
      "pluskube",
    );
    const gone = routingTable({ ...app, ingresses: [] }, "pluskube");

    expect(describeChanges(before, next)).toEqual([
      `+ ${HOST}/api (Prefix) → web:http [10.244.0.7:8080] (${NS}/web)`,
      `~ ${HOST}/ (Prefix) → web:http [10.244.0.7:8080] (${NS}/web)`,
    ]);
    expect(describeChanges(next, gone)).toEqual([`- ${HOST}/api (Prefix)`, `- ${HOST}/ (Prefix)`]);
  });

  it("says when a path falls back to 503, and gives a warning once", () => {
    const before = routingTable(webApp(), "pluskube");
    const app = webApp();
    const next = routingTable(
      {
        ...app,
        ingresses: [...app.ingresses, ingress("wild", [rule("*.test", path("/", "web", "http"))])],
        endpointSlices: [],
      },
      "pluskube",
    );

    expect(describeChanges(before, next)).toEqual([
      `~ ${HOST}/ (Prefix) → web:http: 503 no ready endpoints for web:http (${NS}/web)`,
      `! ${NS}/wild: wildcard host *.test refused; name each host`,
    ]);
    expect(describeChanges(next, next)).toEqual([]);
  });
});
