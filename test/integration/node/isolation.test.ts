/**
 * What a member's pod on the real node can and cannot reach, asked from inside the pod (the echo
 * image's probes) through the service, the engine and the ingress: its own database and bucket
 * with its own credentials, and nothing of another project, of the node or of the zone's
 * control plane. Then an escape-attempt image tries the known ways out of its container; every
 * attempt must fail, and the test lists each with its result.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImage } from "../../../localzone/images.js";
import { resolveZonePath, zoneDir } from "../../../localzone/paths.js";
import { PORTS } from "../../../localzone/zone/control-plane.js";
import { METRICS_SERVICE } from "../../../localzone/zone/node/metrics-server.js";
import { NODE_PORTS } from "../../../localzone/zone/node/network.js";
import { localZone } from "../../../localzone/zone.js";
import { kubeGet } from "../helpers/local-zone.js";
import { MemberService, SETTLE_MS } from "../helpers/member-service.js";
import { uniqueProject } from "../helpers/project-stack.js";
import { answerJson, viaIngress } from "../helpers/real-node.js";

const zone = localZone();
const projectA = uniqueProject("it-iso-a");
const projectB = uniqueProject("it-iso-b");
const hostMarker = `/tmp/pluskube-host-marker-${randomBytes(6).toString("hex")}`;
let member: MemberService;
let urlA: string;

interface Probe {
  result: string;
  error?: string;
}
interface DbVisit {
  ok: boolean;
  result?: string;
  error?: string;
}

/** How a connection that a firewall stops shows from inside the pod. */
const BLOCKED = ["timeout", "refused", "unreachable", "denied"];

const echo = { image: localImage("echo").ref, probe: { path: "/healthz" } };

beforeAll(async () => {
  writeFileSync(hostMarker, "only on the host\n");
  member = await MemberService.start("it-isolation", zone);
  for (const project of [projectA, projectB]) {
    await member.apply(`/v1/projects/${project}`, { zone: "local" });
    await member.apply(`/v1/projects/${project}/databases/main`, { sizeGB: 1 });
  }
  await member.apply(`/v1/projects/${projectA}/buckets/media`, { sizeGB: 1 });
  await member.apply(`/v1/projects/${projectA}/apps/web`, echo);
  await member.apply(`/v1/projects/${projectB}/apps/web`, echo);
  urlA = await member.appUrl(projectA, "web");
  await answerJson(urlA, "/healthz");
}, SETTLE_MS * 3);

afterAll(async () => {
  rmSync(hostMarker, { force: true });
  await member?.close([projectA, projectB]);
}, SETTLE_MS);

const probe = (addr: string, proto = "tcp") =>
  answerJson<Probe>(urlA, `/probe?addr=${encodeURIComponent(addr)}&proto=${proto}&timeout=2s`);
/** The app's own visit to a database; a refused login is its answer too (502 with the reason). */
async function visitDb(url?: string): Promise<DbVisit> {
  if (url === undefined) return answerJson<DbVisit>(urlA, "/db");
  const answer = await viaIngress(urlA, `/db?url=${encodeURIComponent(url)}&timeout=5s`);
  try {
    return JSON.parse(answer.body) as DbVisit;
  } catch {
    throw new Error(`the app gave no answer of its own: ${answer.status} ${answer.body}`);
  }
}

describe("a pod of project A", () => {
  it("reaches its own database and bucket with the credentials it was given", async () => {
    const db = await visitDb();
    expect(db, JSON.stringify(db)).toMatchObject({ ok: true });
    const s3 = await answerJson<{ ok: boolean }>(urlA, "/s3");
    expect(s3, JSON.stringify(s3)).toMatchObject({ ok: true });
  });

  it("reaches neither a pod nor the Service of project B", async () => {
    const pods = await kubeGet<{ items: { status: { podIP?: string } }[] }>(
      `/api/v1/namespaces/${projectB}/pods`,
    );
    const podIP = pods.items.find((pod) => pod.status.podIP)?.status.podIP;
    expect(podIP).toBeDefined();
    const service = await kubeGet<{ spec: { clusterIP: string } }>(
      `/api/v1/namespaces/${projectB}/services/web`,
    );
    const results = {
      pod: (await probe(`${podIP}:8080`)).result,
      service: (await probe(`${service.spec.clusterIP}:80`)).result,
      serviceByName: (await probe(`web.${projectB}.svc.cluster.local:80`)).result,
    };
    console.log(`project A -> project B: ${JSON.stringify(results)}`);
    // Blocked by a firewall, not failed otherwise: the name resolves and the address exists.
    for (const result of Object.values(results)) expect(BLOCKED).toContain(result);
  });

  it("reaches no port of the node or of the zone's control plane, only DNS and the zone's PostgreSQL and S3", async () => {
    const metricsService = await kubeGet<{ spec: { clusterIP: string } }>(
      `/api/v1/namespaces/${METRICS_SERVICE.namespace}/services/${METRICS_SERVICE.name}`,
    );
    const closed = [
      "10.254.254.1:16450", // kubelet
      "10.244.0.1:16450",
      `10.254.254.1:${PORTS.apiserver}`,
      `10.244.0.1:${PORTS.apiserver}`,
      "10.96.0.1:443", // the API server's Service
      `10.254.254.1:${PORTS.etcdClient}`,
      "10.254.254.1:22",
      "10.254.254.1:12019", // the ingress proxy's admin API
      `10.254.254.1:${NODE_PORTS.metricsServer}`, // metrics-server
      `${metricsService.spec.clusterIP}:443`, // and its Service, which kube-proxy translates to it
      "169.254.169.254:80", // cloud metadata
    ];
    const results = Object.fromEntries(
      await Promise.all(closed.map(async (addr) => [addr, (await probe(addr)).result] as const)),
    );
    console.log(`project A -> node and control plane: ${JSON.stringify(results)}`);
    for (const [addr, result] of Object.entries(results)) expect(BLOCKED, addr).toContain(result);
    expect((await probe("169.254.20.10:53", "udp")).result).toBe("ok");
    expect((await probe("10.254.254.1:15432")).result).toBe("ok");
  });

  it("cannot log in to PostgreSQL as the server's administrator, nor open project B's database", async () => {
    const adminPassword = readFileSync(resolveZonePath(zone.postgres.passwordFile), "utf8").trim();
    const admin = await visitDb(
      `postgres://${zone.postgres.adminUser}:${encodeURIComponent(adminPassword)}@10.254.254.1:15432/postgres?sslmode=disable`,
    );
    // A's own role and password, pointed at B's database.
    const reveal = async (project: string) => {
      const revealed = await member.service.post<{ variables: Record<string, string> }>(
        `/v1/projects/${project}/databases/main/credentials`,
        member.token,
        {},
      );
      expect(revealed.status, revealed.text).toBe(200);
      return revealed.body.variables;
    };
    const own = new URL((await reveal(projectA))["DATABASE_URL"] ?? "");
    own.pathname = `/${(await reveal(projectB))["PGDATABASE"] ?? ""}`;
    const other = await visitDb(own.toString());
    console.log(
      `project A's pod as administrator: ${admin.error}; into project B's database: ${other.error}`,
    );
    expect(admin.ok).toBe(false);
    expect(admin.error).toMatch(/pg_hba\.conf rejects connection/);
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/no pg_hba\.conf entry|pg_hba\.conf rejects connection|permission denied/);
  });
});

interface EscapeReport {
  escaped: number;
  blocked: number;
  context: { uid: number };
  checks: { name: string; category: string; result: string; detail: string }[];
}

describe("an escape-attempt image in a member's pod", () => {
  it(
    "fails every attempt to leave its container",
    async () => {
      await member.apply(`/v1/projects/${projectA}/apps/escape`, {
        image: localImage("escape").ref,
        probe: { path: "/healthz" },
        env: {
          HOST_MARKER: hostMarker,
          ZONE_DIR: zoneDir(),
          CONTAINERD_SOCKET: `${zoneDir()}/node/containerd/containerd.sock`,
        },
      });
      const report = await answerJson<EscapeReport>(await member.appUrl(projectA, "escape"));
      const table = report.checks.map((c) => `  ${c.result.padEnd(8)} ${c.category}/${c.name}: ${c.detail}`);
      console.log(
        `escape attempts (${report.blocked} blocked, ${report.escaped} escaped):\n${table.join("\n")}`,
      );
      expect(report.checks.length).toBeGreaterThan(50);
      expect(
        report.checks.filter((c) => c.result !== "blocked").map((c) => `${c.name}: ${c.detail}`),
      ).toEqual([]);
      expect(report.escaped).toBe(0);
      expect(report.context.uid).not.toBe(0);
    },
    SETTLE_MS,
  );
});
