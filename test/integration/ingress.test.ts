/**
 * The zone's ingress end to end: the Caddy and controller processes `zone:up` started, driven by
 * real Ingress, Service, EndpointSlice and Secret objects, proxying to real HTTP servers. The
 * servers run in this test on the node's address (10.254.254.1), standing in for pods: their
 * EndpointSlices are written by hand, as for a Service without a selector.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, Agent, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zoneDir } from "../../localzone/paths.js";
import { runningPid } from "../../localzone/zone/process.js";
import { INGRESS_PORTS } from "../../localzone/ingress/settings.js";
import { testCertificate, type TestCertificate } from "../helpers/test-certificate.js";
import { eventually, kubeSend, statusMessage, waitUntilGone } from "./helpers/local-zone.js";

const NODE_ADDRESS = "10.254.254.1";
const suffix = randomBytes(3).toString("hex");
const namespace = `it-ingress-${suffix}`;
const host = `app-${suffix}.local.pluskube.test`;
const NS = `/api/v1/namespaces/${namespace}`;
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
const INGRESSES = `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses`;

interface Answer {
  readonly status: number;
  readonly body: string;
}

interface Echo {
  readonly server: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** An HTTP server on the node's address that says who it is and what it got. */
class Upstream {
  readonly server: Server;
  requests = 0;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => {
      this.requests += 1;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ server: this.name, url: req.url, headers: req.headers }));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, NODE_ADDRESS, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops like a pod whose process exits: open connections are cut. */
  kill(): void {
    this.server.close();
    this.server.closeAllConnections();
  }
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });

/** One GET through the zone's HTTP port with a Host header. */
function get(path: string, hostHeader = host, agent: Agent = keepAlive): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: INGRESS_PORTS.http,
        path,
        headers: { host: hostHeader },
        agent,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** One GET through the zone's HTTPS port, with `servername` as SNI and Host, trusting `ca`. */
function getTls(path: string, servername: string, ca: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: INGRESS_PORTS.https,
        path,
        servername,
        headers: { host: servername },
        ca,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

function echo(answer: Answer): Echo {
  expect(answer.status, answer.body).toBe(200);
  return JSON.parse(answer.body) as Echo;
}

async function send(method: string, path: string, body?: unknown): Promise<void> {
  const res = await kubeSend(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${statusMessage(res.body)}`);
}

function service(name: string): object {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  };
}

/** An EndpointSlice of `service` listing the node's address at `ports` (one slice per port). */
function endpointSlice(name: string, serviceName: string, port: number, ready = true): object {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      labels: {
        "kubernetes.io/service-name": serviceName,
        "endpointslice.kubernetes.io/managed-by": "pluskube-integration-test",
      },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: [NODE_ADDRESS], conditions: { ready, serving: ready, terminating: false } }],
    ports: [{ name: "http", port, protocol: "TCP" }],
  };
}

function ingress(name: string, rules: object[], tls?: object[]): object {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name },
    spec: { ingressClassName: "pluskube", rules, ...(tls ? { tls } : {}) },
  };
}

function prefix(path: string, serviceName: string, port: string | number, pathType = "Prefix"): object {
  return {
    path,
    pathType,
    backend: {
      service: { name: serviceName, port: typeof port === "number" ? { number: port } : { name: port } },
    },
  };
}

/** Polls through the ingress until `stop()` is called; counts answers by server and every failure. */
function poller(path: string) {
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  let count = 0;
  const done = (async () => {
    while (running) {
      try {
        const answer = await get(path);
        count += 1;
        if (answer.status !== 200) failures.push(`${answer.status} ${answer.body.trim()}`);
        else {
          const server = (JSON.parse(answer.body) as Echo).server;
          seen.set(server, (seen.get(server) ?? 0) + 1);
        }
      } catch (err) {
        count += 1;
        failures.push(String(err));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    seen,
    failures,
    count: () => count,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** When `check` first holds, polling every 10 ms (for latencies; `eventually` polls every 500 ms). */
async function firstTime(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Whether the machine has the node's address; the test adds it on a dummy link when not. */
function hasAddress(address: string): boolean {
  return execFileSync("ip", ["-o", "addr", "show"], { encoding: "utf8" }).includes(` ${address}/`);
}

const TEST_LINK = "pk-ingress-it";

describe("the local zone's ingress", () => {
  const a = new Upstream("a");
  const b = new Upstream("b");
  const other = new Upstream("other");
  let addedLink = false;
  let cert: TestCertificate;
  let createdAt = 0;

  beforeAll(async () => {
    // A link an interrupted run left behind would hide whether the node's own link is there.
    spawnSync("ip", ["link", "del", TEST_LINK], { stdio: "ignore" });
    if (!hasAddress(NODE_ADDRESS)) {
      // A dummy link, or an empty bridge where the kernel has no dummy links (as zone:up does).
      const dummy = spawnSync("ip", ["link", "add", TEST_LINK, "type", "dummy"], { stdio: "ignore" });
      if (dummy.status !== 0) execFileSync("ip", ["link", "add", TEST_LINK, "type", "bridge"]);
      addedLink = true;
      execFileSync("ip", ["addr", "add", `${NODE_ADDRESS}/32`, "dev", TEST_LINK]);
      execFileSync("ip", ["link", "set", TEST_LINK, "up"]);
    }
    await Promise.all([a.listen(), b.listen(), other.listen()]);
    cert = testCertificate([host]);
    await send("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace },
    });
    await send("POST", `${NS}/services`, service("echo"));
    await send("POST", `${NS}/services`, service("other"));
    await send("POST", `${NS}/services`, service("empty"));
    await send("POST", SLICES, endpointSlice("echo-1", "echo", a.port));
    await send("POST", SLICES, endpointSlice("other-1", "other", other.port));
    await send("POST", `${NS}/secrets`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "echo-tls" },
      type: "kubernetes.io/tls",
      data: {
        "tls.crt": Buffer.from(cert.certificatePem).toString("base64"),
        "tls.key": Buffer.from(cert.keyPem).toString("base64"),
      },
    });
    createdAt = Date.now();
    await send(
      "POST",
      INGRESSES,
      ingress(
        "echo",
        [
          {
            host,
            http: {
              paths: [
                prefix("/", "echo", "http"),
                prefix("/other", "other", 80),
                prefix("/exact", "other", "http", "Exact"),
                prefix("/empty", "empty", "http"),
              ],
            },
          },
        ],
        [{ hosts: [host], secretName: "echo-tls" }],
      ),
    );
  });

  afterAll(async () => {
    keepAlive.destroy();
    await kubeSend("DELETE", NS);
    for (const upstream of [a, b, other]) upstream.kill();
    if (addedLink) execFileSync("ip", ["link", "del", TEST_LINK]);
    await waitUntilGone(NS).catch(() => undefined);
  });

  it("serves a new Ingress's host within a second or two and publishes its address", async () => {
    const served = await firstTime(
      "the new Ingress's host to be served",
      async () => (await get("/")).status === 200,
    );
    console.log(`ingress: Ingress created → route served in ${served - createdAt} ms`);
    const status = await eventually("the Ingress's status", async () => {
      const res = await kubeSend<{ status?: { loadBalancer?: { ingress?: unknown[] } } }>(
        "GET",
        `${INGRESSES}/echo`,
      );
      const published = res.body.status?.loadBalancer?.ingress ?? [];
      return published.length > 0 ? published : undefined;
    });

    expect(served - createdAt).toBeLessThan(5_000);
    expect(status).toEqual([
      {
        ip: "127.0.0.1",
        ports: [
          { port: INGRESS_PORTS.http, protocol: "TCP" },
          { port: INGRESS_PORTS.https, protocol: "TCP" },
        ],
      },
    ]);
  });

  it("routes by Host header and path, with the X-Forwarded headers", async () => {
    const root = echo(await get("/hello?x=1"));
    const prefixed = echo(await get("/other/deeper"));
    const notAPrefix = echo(await get("/otherwise"));
    const exact = echo(await get("/exact"));
    const notExact = echo(await get("/exact/more"));

    expect([root.server, root.url]).toEqual(["a", "/hello?x=1"]);
    expect(root.headers).toMatchObject({
      host,
      "x-forwarded-host": host,
      "x-forwarded-proto": "http",
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-port": String(INGRESS_PORTS.http),
      "x-real-ip": "127.0.0.1",
    });
    expect(prefixed.server).toBe("other");
    expect(notAPrefix.server).toBe("a");
    expect(exact.server).toBe("other");
    expect(notExact.server).toBe("a");
  });

  it("answers 404 for a host no Ingress names", async () => {
    const answer = await get("/", `nobody-${suffix}.local.pluskube.test`);

    expect(answer).toEqual({ status: 404, body: "404 no Ingress serves this host\n" });
  });

  it("answers 503 for a path whose Service has no endpoints", async () => {
    const answer = await get("/empty");

    expect(answer).toEqual({ status: 503, body: "503 no ready endpoints for empty:http\n" });
  });

  it("serves HTTPS with the Ingress's TLS Secret for its name, and no other name", async () => {
    const secure = echo(await getTls("/tls", host, cert.certificatePem));

    expect(secure.server).toBe("a");
    expect(secure.headers["x-forwarded-proto"]).toBe("https");
    await expect(getTls("/", `nobody-${suffix}.local.pluskube.test`, cert.certificatePem)).rejects.toThrow();
  });

  it("moves to new endpoints without a failed request, also when an old one dies before it leaves", async () => {
    const poll = poller("/");
    await eventually("the poller to reach a", async () =>
      (poll.seen.get("a") ?? 0) > 20 ? true : undefined,
    );

    // A rollout: the new pod (b) becomes ready, then the old one (a) leaves the slice, then stops.
    const changed = Date.now();
    await send("PUT", `${SLICES}/echo-1`, endpointSlice("echo-1", "echo", b.port));
    await eventually("b to answer", async () => ((poll.seen.get("b") ?? 0) > 0 ? true : undefined), 10_000);
    console.log(`ingress: EndpointSlice changed → new endpoint served in ${Date.now() - changed} ms`);
    a.kill();
    await new Promise((resolve) => setTimeout(resolve, 1000));

    // A pod that dies while the slice still lists it: requests meet a refused connection.
    const c = new Upstream("c");
    await c.listen();
    await send("POST", SLICES, endpointSlice("echo-2", "echo", c.port));
    await eventually("c to answer", async () => ((poll.seen.get("c") ?? 0) > 5 ? true : undefined), 10_000);
    b.kill();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await send("DELETE", `${SLICES}/echo-1`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await poll.stop();
    c.kill();

    console.log(
      `ingress: ${poll.count()} requests during the endpoint changes, ${poll.failures.length} failed; ` +
        `by server ${JSON.stringify(Object.fromEntries(poll.seen))}`,
    );
    expect(poll.failures).toEqual([]);
    expect(poll.seen.get("c")).toBeGreaterThan(5);
  });

  it("stops serving the host once its Ingress is deleted", async () => {
    const deleted = Date.now();
    await send("DELETE", `${INGRESSES}/echo`);

    const gone = await firstTime("the host to be gone", async () => (await get("/")).status === 404);
    console.log(`ingress: Ingress deleted → host answers 404 in ${gone - deleted} ms`);
    expect(gone - deleted).toBeLessThan(5_000);
  });

  it("runs a controller of modest size", () => {
    const pid = runningPid(zoneDir(), "ingress-controller", process.execPath);
    expect(pid).toBeDefined();
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    console.log(`ingress: controller resident memory ${Math.round(Number(rss) / 1024)} MiB`);

    // Node.js and tsx alone take some 60 MiB; the watches of a small zone add little.
    expect(Number(rss) / 1024).toBeLessThan(200);
  });
});
