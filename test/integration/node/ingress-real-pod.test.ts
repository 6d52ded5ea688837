/**
 * The zone's ingress in front of real pods on the real node: a Deployment of the echo image
 * behind a Service with a named target port, in a namespace whose NetworkPolicy denies all
 * ingress, reached over HTTP and HTTPS, and rolled to a new version while a keep-alive client
 * polls it.
 */
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { Agent, request } from "node:http";
import { request as httpsRequest } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caddyAdmin } from "../../../localzone/ingress/caddy-admin.js";
import { canonicalJson } from "../../../localzone/ingress/caddy-config.js";
import { CADDY_ADMIN_URL, INGRESS_PORTS } from "../../../localzone/ingress/settings.js";
import { UPSTREAM_ZONE } from "../../../localzone/ingress/upstream-dns.js";
import { localImage } from "../../../localzone/images.js";
import { testCertificate, type TestCertificate } from "../../helpers/test-certificate.js";
import { eventually, kubeGet, kubeSend, statusMessage, waitUntilGone } from "../helpers/local-zone.js";

const suffix = randomBytes(3).toString("hex");
const namespace = `it-ingress-pod-${suffix}`;
const host = `pod-${suffix}.local.pluskube.test`;
const NS = `/api/v1/namespaces/${namespace}`;
const DEPLOYMENT = `/apis/apps/v1/namespaces/${namespace}/deployments/echo`;

interface Answer {
  readonly status: number;
  readonly body: string;
}

interface EchoAnswer {
  readonly env: Record<string, string>;
  readonly hostname: string;
  readonly request: {
    readonly host: string;
    readonly remote: string;
    readonly headers: Record<string, string>;
  };
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });

function get(path: string, agent: Agent = keepAlive): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port: INGRESS_PORTS.http, path, headers: { host }, agent, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => resolve({ status: 0, body: String(err) }));
    req.end();
  });
}

function getTls(path: string, ca: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: INGRESS_PORTS.https,
        path,
        servername: host,
        headers: { host },
        ca,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function send(method: string, path: string, body?: unknown): Promise<void> {
  const res = await kubeSend(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${statusMessage(res.body)}`);
}

/** The echo app as the AppClaim component would run it: restricted, probed, surging by one. */
function deployment(version: string): object {
  const resources = { cpu: "100m", memory: "64Mi", "ephemeral-storage": "64Mi" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "echo" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "echo" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { app: "echo" } },
        spec: {
          nodeSelector: { "pluskube.dev/node": "real" },
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "echo",
              image: localImage("echo").ref,
              imagePullPolicy: "IfNotPresent",
              env: [{ name: "VERSION", value: version }],
              ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              readinessProbe: {
                httpGet: { path: "/healthz", port: "http" },
                periodSeconds: 1,
                failureThreshold: 1,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              resources: { requests: resources, limits: resources },
            },
          ],
        },
      },
    },
  };
}

describe("the ingress in front of real pods", () => {
  let cert: TestCertificate;

  beforeAll(async () => {
    cert = testCertificate([host]);
    await send("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: namespace,
        labels: { "pod-security.kubernetes.io/enforce": "restricted" },
      },
    });
    // Nothing may come in: what reaches the pods below comes from the node, which kube-router lets through.
    await send("POST", `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "deny-all-ingress" },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
    await send("POST", `/apis/apps/v1/namespaces/${namespace}/deployments`, deployment("v1"));
    await send("POST", `${NS}/services`, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "echo" },
      spec: { selector: { app: "echo" }, ports: [{ name: "web", port: 80, targetPort: "http" }] },
    });
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
    await send("POST", `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses`, {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "echo" },
      spec: {
        ingressClassName: "pluskube",
        tls: [{ hosts: [host], secretName: "echo-tls" }],
        rules: [
          {
            host,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "echo", port: { name: "web" } } },
                },
              ],
            },
          },
        ],
      },
    });
    await eventually(
      "both pods to answer through the ingress",
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) {
          const answer = await get("/");
          if (answer.status === 200) seen.add((JSON.parse(answer.body) as EchoAnswer).hostname);
        }
        return seen.size === 2 ? true : undefined;
      },
      180_000,
    );
  }, 240_000);

  afterAll(async () => {
    keepAlive.destroy();
    await kubeSend("DELETE", NS);
    await waitUntilGone(NS).catch(() => undefined);
  }, 180_000);

  it("sends requests to the pods' own addresses at their named container port", async () => {
    const pods = await kubeGet<{ items: { status: { podIP?: string } }[] }>(
      `${NS}/pods?labelSelector=app%3Decho`,
    );
    const podIPs = pods.items.map((p) => p.status.podIP ?? "").sort();
    const name = `t8080.pweb.echo.${namespace}.${UPSTREAM_ZONE}`;
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${INGRESS_PORTS.upstreamDns}`]);
    const running = JSON.stringify(await caddyAdmin(CADDY_ADMIN_URL).current());

    expect(podIPs).toHaveLength(2);
    expect(podIPs.every((ip) => ip.startsWith("10.244.0."))).toBe(true);
    expect((await resolver.resolve4(name)).sort()).toEqual(podIPs);
    expect(running).toContain(`"name":"${name}.","port":"8080"`);
  });

  it("reaches them over HTTP and HTTPS although their namespace denies all ingress", async () => {
    const plain = await get("/");
    const secure = await getTls("/", cert.certificatePem);

    expect(plain.status).toBe(200);
    const answer = JSON.parse(plain.body) as EchoAnswer;
    expect(answer.env["VERSION"]).toBe("v1");
    // Caddy's connection comes from the node's own address on the pod bridge.
    expect(answer.request.remote).toMatch(/^10\.244\.0\.1:\d+$/);
    expect(answer.request.headers["X-Forwarded-For"]).toBe("127.0.0.1");
    expect(secure.status).toBe(200);
    expect((JSON.parse(secure.body) as EchoAnswer).request.host).toBe(host);
  });

  it("rolls out a new version while a keep-alive client polls, without a failed request or a reload", async () => {
    const admin = caddyAdmin(CADDY_ADMIN_URL);
    const before = canonicalJson(await admin.current());
    const versions = new Map<string, number>();
    const failures: string[] = [];
    let polling = true;
    let count = 0;
    const poller = (async () => {
      while (polling) {
        const answer = await get("/version");
        count += 1;
        if (answer.status !== 200) failures.push(`${answer.status} ${answer.body.slice(0, 200)}`);
        else {
          const { version } = JSON.parse(answer.body) as { version: string };
          versions.set(version, (versions.get(version) ?? 0) + 1);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const started = Date.now();
    await send("PUT", DEPLOYMENT, deployment("v2"));
    await eventually(
      "the rollout to finish",
      async () => {
        const d = await kubeGet<{
          status: { updatedReplicas?: number; replicas?: number; readyReplicas?: number };
        }>(DEPLOYMENT);
        const { updatedReplicas = 0, replicas = 0, readyReplicas = 0 } = d.status;
        return updatedReplicas === 2 && replicas === 2 && readyReplicas === 2 ? true : undefined;
      },
      180_000,
    );
    // The old pods drain for their shutdown delay after they left the endpoints.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    polling = false;
    await poller;
    const after = canonicalJson(await admin.current());

    console.log(
      `ingress on real pods: rollout in ${Math.round((Date.now() - started) / 1000)} s, ${count} requests, ` +
        `${failures.length} failed, by version ${JSON.stringify(Object.fromEntries(versions))}`,
    );
    expect(failures).toEqual([]);
    expect([...versions.keys()].sort()).toEqual(["v1", "v2"]);
    expect(after).toBe(before);
  }, 300_000);
});
