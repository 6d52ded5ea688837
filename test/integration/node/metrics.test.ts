/**
 * Resource metrics of an app on the local zone's real node, as a member reads them through the
 * service: the zone's metrics-server scrapes the node's kubelet, the API server serves its
 * `metrics.k8s.io` through the aggregation layer, and the service reads that API. The app burns
 * CPU on purpose, so the figures must rise to what its limit lets it have, and no further; the
 * service's own samples of them make the app's last hour.
 * Prints how long the first figures of a new pod take.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImage } from "../../../localzone/images.js";
import { localZone } from "../../../localzone/zone.js";
import { METRIC_RESOLUTION_SECONDS } from "../../../localzone/zone/node/metrics-server.js";
import { NODE_NAME } from "../../../localzone/zone/node/network.js";
import { eventually, kubeGet } from "../helpers/local-zone.js";
import { MemberService, SETTLE_MS } from "../helpers/member-service.js";
import { uniqueProject } from "../helpers/project-stack.js";
import { answerJson, viaIngress } from "../helpers/real-node.js";

const project = uniqueProject("it-metrics");
const REPLICAS = 2;
/** The service samples every app this often here (60 s by default), so an hour's chart fills in seconds. */
const SAMPLE_SECONDS = 5;
/** Both pods burning show as hundreds of millicores; idle, the echo app uses one or two. */
const BUSY_MILLIS = 100;
let member: MemberService;
let url: string;

interface Usage {
  cpuMillis: number;
  memoryBytes: number;
  requests: { cpuMillis?: number; memoryBytes?: number };
  limits: { cpuMillis?: number; memoryBytes?: number };
}

interface AppMetrics {
  app: string;
  total: Usage;
  pods: (Usage & { pod: string })[];
}

const metricsPath = () => `/v1/projects/${project}/apps/busy/metrics`;

async function appMetrics(): Promise<AppMetrics> {
  const response = await member.get<AppMetrics>(metricsPath());
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

/** When a pod's container last started, as the kubelet reported it. */
async function containerStartedAt(pod: string): Promise<number> {
  const list = await kubeGet<{
    items: { status?: { containerStatuses?: { state?: { running?: { startedAt?: string } } }[] } }[];
  }>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`metadata.name=${pod}`)}`);
  const startedAt = list.items[0]?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
  if (!startedAt) throw new Error(`pod ${pod} has no running container`);
  return Date.parse(startedAt);
}

/** When the app's metrics first showed each pod, watched from before the app was deployed. */
const firstSeen = new Map<string, number>();
let watching = true;
let watcher: Promise<void> = Promise.resolve();

/** Polls the app's metrics twice a second until told to stop, noting when each pod first shows. */
async function watchFirstFigures(): Promise<void> {
  while (watching) {
    const response = await member.get<AppMetrics>(metricsPath());
    if (response.status === 200) {
      for (const pod of response.body.pods) {
        if (pod.memoryBytes > 0 && !firstSeen.has(pod.pod)) firstSeen.set(pod.pod, Date.now());
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  member = await MemberService.start(
    "it-metrics-member",
    localZone(),
    {},
    { usageSampleSeconds: SAMPLE_SECONDS },
  );
  await member.apply(`/v1/projects/${project}`, { zone: "local" });
  watcher = watchFirstFigures();
  await member.apply(`/v1/projects/${project}/apps/busy`, {
    image: localImage("echo").ref,
    probe: { path: "/healthz" },
    replicas: REPLICAS,
  });
  url = await member.appUrl(project, "busy");
  await answerJson(url, "/healthz");
}, SETTLE_MS * 2);

afterAll(async () => {
  watching = false;
  await watcher;
  await member?.close([project]);
}, SETTLE_MS);

describe("an app's resource metrics on the real node", () => {
  it("appear for each new pod within two scrapes of its container's start", async () => {
    const first = await eventually(
      "figures for every pod of the app",
      async () => {
        const metrics = await appMetrics();
        return metrics.pods.length === REPLICAS && metrics.pods.every((p) => firstSeen.has(p.pod))
          ? metrics
          : undefined;
      },
      120_000,
    );
    watching = false;
    await watcher;
    const delays: number[] = [];
    for (const pod of first.pods) {
      delays.push(((firstSeen.get(pod.pod) ?? 0) - (await containerStartedAt(pod.pod))) / 1000);
    }
    console.log(
      `first metrics after the container started: ${delays.map((d) => `${d.toFixed(1)} s`).join(", ")} ` +
        `(metric resolution ${METRIC_RESOLUTION_SECONDS} s)`,
    );
    // One scrape at least 10 s after the container started, or two scrapes, see a pod before
    // the API reports it: two resolutions, one more if the kubelet had no stats of the new
    // container at the first scrape, and half a second of polling.
    for (const delay of delays) {
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThan(METRIC_RESOLUTION_SECONDS * 3 + 2);
    }
  }, 180_000);

  it("show each pod's real CPU and memory against its requests and limits, CPU no higher than its limit", async () => {
    // Every pod burns: the ingress spreads the calls, a pod already burning answers 409.
    const burning = new Set<string>();
    for (let attempt = 0; attempt < 40 && burning.size < REPLICAS; attempt++) {
      const answer = await viaIngress(url, "/burn?seconds=90&threads=2");
      expect([202, 409], answer.body).toContain(answer.status);
      burning.add((JSON.parse(answer.body) as { hostname: string }).hostname);
    }
    expect(burning.size).toBe(REPLICAS);
    const metrics = await eventually(
      "the burning pods' CPU to show in the metrics",
      async () => {
        const m = await appMetrics();
        const limit = m.pods[0]?.limits.cpuMillis ?? Infinity;
        return m.pods.length === REPLICAS && m.pods.every((p) => p.cpuMillis >= limit * 0.6) ? m : undefined;
      },
      90_000,
    );
    console.log(
      `app metrics while burning: ${metrics.pods
        .map(
          (p) =>
            `${p.pod} ${p.cpuMillis}m of ${p.limits.cpuMillis}m, ${(p.memoryBytes / 2 ** 20).toFixed(1)} MiB of ${((p.limits.memoryBytes ?? 0) / 2 ** 20).toFixed(0)} MiB`,
        )
        .join("; ")}`,
    );
    for (const pod of metrics.pods) {
      expect(pod.limits.cpuMillis).toBeGreaterThan(0);
      expect(pod.limits.memoryBytes).toBeGreaterThan(0);
      expect(pod.requests.cpuMillis).toBeGreaterThan(0);
      expect(pod.requests.memoryBytes).toBeGreaterThan(0);
      // The CFS quota holds the container to its limit per 100 ms period; the rate is measured
      // between two scrapes whose edges fall anywhere in those periods, hence a few percent.
      expect(pod.cpuMillis).toBeLessThanOrEqual((pod.limits.cpuMillis ?? 0) * 1.05);
      expect(pod.memoryBytes).toBeGreaterThan(1024 * 1024);
      expect(pod.memoryBytes).toBeLessThan(pod.limits.memoryBytes ?? 0);
    }
    expect(metrics.total.cpuMillis).toBe(metrics.pods.reduce((sum, p) => sum + p.cpuMillis, 0));
    expect(metrics.total.memoryBytes).toBe(metrics.pods.reduce((sum, p) => sum + p.memoryBytes, 0));
    expect(metrics.total.limits.cpuMillis).toBe((metrics.pods[0]?.limits.cpuMillis ?? 0) * REPLICAS);
  }, 180_000);

  it("keep the app's recent past: one sample of both pods per interval, the burn among them", async () => {
    type History = {
      intervalSeconds: number;
      samples: { at: string; cpuMillis: number; memoryBytes: number; pods: number }[];
    };
    const full = (history: History) => history.samples.filter((sample) => sample.pods === REPLICAS);
    // The pods of the test before still burn (90 s); the next sample or two of them show it.
    const history = await eventually(
      "three samples of both pods in the app's history, one of them while they burn",
      async () => {
        const response = await member.get<History>(`${metricsPath()}/history`);
        expect(response.status, response.text).toBe(200);
        const samples = full(response.body);
        return samples.length >= 3 && samples.some((sample) => sample.cpuMillis >= BUSY_MILLIS)
          ? response.body
          : undefined;
      },
      60_000,
    );
    console.log(
      `app history: ${history.samples.length} samples every ${history.intervalSeconds} s; last ${full(history)
        .slice(-3)
        .map((s) => `${s.cpuMillis}m ${(s.memoryBytes / 2 ** 20).toFixed(1)} MiB`)
        .join(", ")}`,
    );
    expect(history.intervalSeconds).toBe(SAMPLE_SECONDS);
    const times = history.samples.map((sample) => Date.parse(sample.at));
    for (const [index, at] of times.entries()) {
      expect(at % (SAMPLE_SECONDS * 1000)).toBe(0);
      if (index > 0) expect(at).toBeGreaterThan(times[index - 1] ?? 0);
    }
    for (const sample of full(history)) expect(sample.memoryBytes).toBeGreaterThan(REPLICAS * 1024 * 1024);
  }, 120_000);

  it("is served for the real node alone, as `kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes` shows", async () => {
    const nodes = await kubeGet<{
      items: { metadata: { name: string }; usage: { cpu: string; memory: string } }[];
    }>("/apis/metrics.k8s.io/v1beta1/nodes");
    expect(nodes.items.map((n) => n.metadata.name)).toEqual([NODE_NAME]);
    const usage = nodes.items[0]?.usage;
    expect(usage?.cpu).toMatch(/^\d+n$/);
    expect(Number(usage?.memory.replace(/Ki$/, ""))).toBeGreaterThan(0);
  });
});
