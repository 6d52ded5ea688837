/**
 * The zone's ingress end to end: the Caddy and controller processes `zone:up` started, driven by
 * real Ingress, Service, EndpointSlice and Secret objects, proxying to real HTTP servers. The
 * servers run in this test, standing in for pods, on the node's address (10.254.254.1) and on
 * addresses of a link of the test's own; their EndpointSlices are written by hand, as for a
 * Service without a selector.
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
import { caddyAdmin } from "../../localzone/ingress/caddy-admin.js";
import { canonicalJson } from "../../localzone/ingress/caddy-config.js";
import { CADDY_ADMIN_URL, INGRESS_PORTS } from "../../localzone/ingress/settings.js";
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

  async listen(address = NODE_ADDRESS, port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, address, resolve));
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

/** One endpoint of a hand-written slice: ready, or terminating (not ready). */
interface TestEndpoint {
  readonly address: string;
  readonly terminating?: boolean;
}

/** An EndpointSlice of `service`: the endpoints at one port, as the EndpointSlice controller writes them. */
function endpointSlice(
  name: string,
  serviceName: string,
  port: number,
  endpoints: readonly TestEndpoint[],
): object {
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
    endpoints: endpoints.map(({ address, terminating = false }) => ({
      addresses: [address],
      conditions: { ready: !terminating, serving: !terminating, terminating },
    })),
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

/** A link of the test's own, for the pods' addresses (and the node's, when the node is not up). */
const TEST_LINK = "pk-ingress-it";

/** Addresses the rollout's "pods" listen on (TEST-NET-2: never routed anywhere). */
const POD_ADDRESSES = ["198.51.100.11", "198.51.100.12", "198.51.100.13"] as const;

describe("the local zone's ingress", () => {
  const a = new Upstream("a");
  const other = new Upstream("other");
  const pods = POD_ADDRESSES.map((_, i) => new Upstream(`pod-${i + 1}`));
  let podPort = 0;
  let cert: TestCertificate;
  let createdAt = 0;

  beforeAll(async () => {
    // A link an interrupted run left behind would hide whether the node's own link is there.
    spawnSync("ip", ["link", "del", TEST_LINK], { stdio: "ignore" });
    // A dummy link, or an empty bridge where the kernel has no dummy links (as zone:up does).
    const dummy = spawnSync("ip", ["link", "add", TEST_LINK, "type", "dummy"], { stdio: "ignore" });
    if (dummy.status !== 0) execFileSync("ip", ["link", "add", TEST_LINK, "type", "bridge"]);
    const addresses = [...POD_ADDRESSES, ...(hasAddress(NODE_ADDRESS) ? [] : [NODE_ADDRESS])];
    for (const address of addresses) execFileSync("ip", ["addr", "add", `${address}/32`, "dev", TEST_LINK]);
    execFileSync("ip", ["link", "set", TEST_LINK, "up"]);
    await Promise.all([a.listen(), other.listen()]);
    // Pods of one Deployment: one container port, one address each.
    podPort = (await pods[0]?.listen(POD_ADDRESSES[0])) ?? 0;
    await Promise.all(pods.slice(1).map((pod, i) => pod.listen(POD_ADDRESSES[i + 1], podPort)));
    cert = testCertificate([host]);
    await send("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace },
    });
    await send("POST", `${NS}/services`, service("echo"));
    await send("POST", `${NS}/services`, service("other"));
    await send("POST", `${NS}/services`, service("empty"));
    await send("POST", `${NS}/services`, service("roll"));
    await send("POST", SLICES, endpointSlice("echo-1", "echo", a.port, [{ address: NODE_ADDRESS }]));
    await send("POST", SLICES, endpointSlice("other-1", "other", other.port, [{ address: NODE_ADDRESS }]));
    await send("POST", SLICES, endpointSlice("roll-1", "roll", podPort, [{ address: POD_ADDRESSES[0] }]));
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
                prefix("/roll", "roll", "http"),
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
    for (const upstream of [a, other, ...pods]) upstream.kill();
    spawnSync("ip", ["link", "del", TEST_LINK], { stdio: "ignore" });
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

  it("rolls over to new pods without a failed request or a reload, also when a pod dies before it leaves", async () => {
    const [p1, p2, p3] = POD_ADDRESSES;
    const roll = (endpoints: TestEndpoint[]): Promise<void> =>
      send("PUT", `${SLICES}/roll-1`, endpointSlice("roll-1", "roll", podPort, endpoints));
    const seen =
      (pod: string, times = 1) =>
      async (): Promise<true | undefined> =>
        (poll.seen.get(pod) ?? 0) >= times ? true : undefined;
    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const admin = caddyAdmin(CADDY_ADMIN_URL);
    const configBefore = canonicalJson(await admin.current());
    const poll = poller("/roll");
    await eventually("the poller to reach pod-1", seen("pod-1", 20));

    // A rolling update: pod-2 becomes ready, then pod-1 terminates and stops 1.5 s later.
    const surged = Date.now();
    await roll([{ address: p1 }, { address: p2 }]);
    const p2Served = await firstTime("pod-2 to answer", async () => (poll.seen.get("pod-2") ?? 0) > 0);
    console.log(`ingress: EndpointSlice gained a pod → pod served in ${p2Served - surged} ms (no reload)`);
    await roll([{ address: p1, terminating: true }, { address: p2 }]);
    await pause(1500);
    pods[0]?.kill();

    // pod-3 joins, then pod-2 dies while the slice still lists it: requests meet a refused connection.
    await roll([{ address: p2 }, { address: p3 }]);
    await eventually("pod-3 to answer", seen("pod-3", 5), 10_000);
    pods[1]?.kill();
    await pause(1500);
    await roll([{ address: p3 }]);
    await pause(1000);
    await poll.stop();
    const configAfter = canonicalJson(await admin.current());

    console.log(
      `ingress: ${poll.count()} requests during the rollout, ${poll.failures.length} failed; ` +
        `by pod ${JSON.stringify(Object.fromEntries(poll.seen))}`,
    );
    expect(poll.failures).toEqual([]);
    expect(poll.seen.get("pod-3")).toBeGreaterThan(5);
    expect(configAfter).toBe(configBefore);
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
