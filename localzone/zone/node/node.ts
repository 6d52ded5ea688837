import { existsSync } from "node:fs";
import type { ZoneSpec } from "../../../spec/zone.js";
import type { NodeBinary } from "../../toolchain.js";
import { kubeRequest, type KubeAccess } from "../kube.js";
import type { Pki } from "../pki.js";
import {
  ensureProcess,
  logFile,
  requireBinary,
  runningPid,
  stopProcess,
  waitFor,
  type ProcessSpec,
} from "../process.js";
import { drainContainers, sweepNode, type SweepReport } from "./cleanup.js";
import { ensureCniConfig } from "./cni.js";
import { containerdSpec } from "./containerd.js";
import { corednsSpec } from "./coredns.js";
import { attempt } from "./host.js";
import { ensureHostNetwork, nodeLinkReady, NODE_GUARD_CHAIN } from "./host-network.js";
import { takeOverHostNetwork } from "./host-takeover.js";
import { ensureNodeAccess, ensureNodeIdentities, NODE_USERS, type NodeIdentities } from "./identities.js";
import { kubeletSpec } from "./kubelet.js";
import { kubeProxySpec } from "./kube-proxy.js";
import { kubeRouterSpec } from "./kube-router.js";
import { nodeLayout, type NodeLayout } from "./layout.js";
import {
  ensureMetricsApi,
  METRICS_APISERVICE,
  metricsApiAvailability,
  metricsServerLive,
  metricsServerSpec,
} from "./metrics-server.js";
import { CLUSTER_DNS_IP, NODE_IP, NODE_LINK, NODE_NAME, NODE_PORTS } from "./network.js";
import { answers200, clusterDnsAnswer, httpGet } from "./probes.js";

type Say = (line: string) => void;

/** The node's binaries, as `toolchainPaths().node` names them. */
export type NodeBinaries = Readonly<Record<NodeBinary, string>>;

/** The node's long-running processes, in start order. */
export const NODE_PROCESSES = [
  "containerd",
  "kubelet",
  "kube-proxy",
  "coredns",
  "kube-router",
  "metrics-server",
] as const;
export type NodeProcess = (typeof NODE_PROCESSES)[number];

/** The zone's images as the node needs them. */
export interface NodeImages {
  /** The pod sandbox image (`pluskube.local/pause:<tag>`), built locally. */
  readonly sandbox: string;
  /** Imports the zone's images into containerd's `k8s.io` namespace (nothing when present). */
  readonly importInto: (ctr: string, socket: string, say: Say) => Promise<void>;
}

/** What starting the node needs from the zone. */
export interface NodeStart {
  readonly zoneDir: string;
  readonly zone: ZoneSpec;
  readonly pki: Pki;
  /** Admin access, to set up the node parts' RBAC. */
  readonly access: KubeAccess;
  readonly apiserverUrl: string;
  readonly context: string;
  readonly bins: NodeBinaries;
  readonly images: NodeImages;
  readonly say: Say;
  readonly timeoutMs: number;
}

function port(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
}

/**
 * The machine's side of the node: the link with the node and DNS addresses, IP forwarding and
 * the node guard. Runs before PostgreSQL and SeaweedFS start, as they listen on the node address.
 */
export function prepareNodeHost(zoneDir: string, zone: ZoneSpec, say: Say): void {
  const layout = nodeLayout(zoneDir);
  const takeover = takeOverHostNetwork(layout);
  if (takeover.kind === "stale") {
    say(
      `  node network: removed what a Kubernetes node that no longer runs left on this machine ` +
        `(chain ${takeover.chain}; ${takeover.removed.join(", ") || "nothing else"})` +
        (takeover.adopted ? `; the machine's settings as ${takeover.adopted} recorded them` : ""),
    );
  }
  ensureHostNetwork(layout, {
    postgresPort: zone.postgres.port,
    s3Port: port(zone.s3.clusterEndpoint ?? zone.s3.endpoint),
  });
}

/** Whether any of the node's processes runs. */
export function nodeRunning(zoneDir: string, bins: NodeBinaries): boolean {
  return NODE_PROCESSES.some((name) => runningPid(zoneDir, name, processCommand(bins, name)) !== undefined);
}

/** The command `runningPid` recognises each process by. */
function processCommand(bins: NodeBinaries, name: NodeProcess): string {
  return bins[name];
}

/** The process specs of the node's parts (writing their configuration files). */
function nodeSpecs(
  layout: NodeLayout,
  identities: NodeIdentities,
  start: NodeStart,
): Record<Exclude<NodeProcess, "containerd">, ProcessSpec> {
  const bin = (name: NodeBinary): string => requireBinary(start.bins[name], name);
  return {
    kubelet: kubeletSpec(bin("kubelet"), layout, identities, start.pki.caCert),
    "kube-proxy": kubeProxySpec(bin("kube-proxy"), layout, identities.kubeProxyKubeconfig),
    coredns: corednsSpec(bin("coredns"), layout, identities.corednsKubeconfig, start.context),
    "kube-router": kubeRouterSpec(bin("kube-router"), identities.kubeRouterKubeconfig),
    "metrics-server": metricsServerSpec(bin("metrics-server"), {
      kubeconfig: identities.metricsServerKubeconfig,
      serving: identities.metricsServerServing,
    }),
  };
}

async function containerdAnswers(ctr: string, socket: string): Promise<boolean> {
  return existsSync(socket) && attempt(ctr, ["--address", socket, "version"]).ok;
}

/**
 * Starts the node's processes that are not running yet: containerd (then the zone's images go
 * in), the kubelet, kube-proxy and CoreDNS, and routes the metrics API to metrics-server. The
 * control plane must be up. `completeNode` waits for them and starts kube-router, which needs
 * the registered node, and metrics-server, which would fail its first scrape of a kubelet that
 * does not listen yet.
 */
export async function startNode(start: NodeStart): Promise<NodeStarted> {
  const { zoneDir, say, timeoutMs } = start;
  const layout = nodeLayout(zoneDir);
  const bin = (name: NodeBinary): string => requireBinary(start.bins[name], name);
  const identities = ensureNodeIdentities(start.pki, layout, start.apiserverUrl, start.context);
  await ensureNodeAccess(start.access);
  // Its endpoint stays ready while a metrics-server of an earlier start answers; else the
  // aggregation layer answers 503 until `completeNode` sees the new one answer.
  await ensureMetricsApi(
    start.access,
    start.pki.caCert,
    NODE_USERS.metricsServer,
    await metricsServerLive(start.access),
  );
  ensureCniConfig(layout, {
    bridge: bin("cni-bridge"),
    "host-local": bin("cni-host-local"),
    loopback: bin("cni-loopback"),
    portmap: bin("cni-portmap"),
  });
  const runtime = { containerd: bin("containerd"), shim: bin("containerd-shim-runc-v2"), runc: bin("runc") };
  ensureProcess(zoneDir, containerdSpec(layout, runtime, start.images.sandbox), say);
  await waitFor("containerd", () => containerdAnswers(bin("ctr"), layout.containerdSocket), {
    timeoutMs,
    say,
    logHint: logFile(zoneDir, "containerd"),
  });
  await start.images.importInto(bin("ctr"), layout.containerdSocket, say);
  const specs = nodeSpecs(layout, identities, start);
  const kubeletStartedAt = Date.now();
  const kubeletStarted = ensureProcess(zoneDir, specs.kubelet, say);
  for (const name of ["kube-proxy", "coredns"] as const) ensureProcess(zoneDir, specs[name], say);
  return { kubeletStartedAt: kubeletStarted ? kubeletStartedAt : undefined };
}

/** What `startNode` did, for `completeNode` to wait on. */
export interface NodeStarted {
  /** When the kubelet was started, if `startNode` started it (else it was running). */
  readonly kubeletStartedAt: number | undefined;
}

interface NodeCondition {
  readonly type: string;
  readonly status: string;
  readonly lastHeartbeatTime?: string;
  readonly lastTransitionTime?: string;
}

async function readNodeConditions(access: KubeAccess): Promise<NodeCondition[] | undefined> {
  const res = await kubeRequest<{ status?: { conditions?: NodeCondition[] } }>(
    access,
    "GET",
    `/api/v1/nodes/${NODE_NAME}`,
  );
  return res.status === 200 ? (res.body.status?.conditions ?? []) : undefined;
}

/** The node's conditions as the API server has them, by type. */
async function nodeConditions(access: KubeAccess): Promise<Record<string, string> | undefined> {
  const conditions = await readNodeConditions(access);
  return conditions && Object.fromEntries(conditions.map((c) => [c.type, c.status]));
}

/**
 * Whether the node is Ready, as reported by a kubelet started at `since` or later: the Node
 * object keeps the last run's Ready until the node controller notices the kubelet is gone.
 */
async function nodeReadySince(access: KubeAccess, since: number | undefined): Promise<boolean> {
  const ready = (await readNodeConditions(access))?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return false;
  // Heartbeat times have a resolution of one second.
  return since === undefined || Date.parse(ready.lastHeartbeatTime ?? "") >= since - 1000;
}

/**
 * Waits until the node is Ready, then starts kube-router (which gives up when its node is not
 * registered yet) and metrics-server, and waits until Services are programmed, cluster DNS
 * answers, kube-router serves and the API server reaches metrics-server. Returns how long each
 * took, in seconds.
 */
export async function completeNode(start: NodeStart, started: NodeStarted): Promise<Record<string, number>> {
  const { zoneDir, access, say, timeoutMs } = start;
  const opts = (part: string) => ({ timeoutMs, say, logHint: logFile(zoneDir, part) });
  const took: Record<string, number> = {};
  const timed = async (what: string, work: () => Promise<void>): Promise<void> => {
    const t = Date.now();
    await work();
    took[what] = (Date.now() - t) / 1000;
  };
  await timed("node Ready", () =>
    waitFor(
      `node ${NODE_NAME} to be Ready`,
      () => nodeReadySince(access, started.kubeletStartedAt),
      opts("kubelet"),
    ),
  );
  if (started.kubeletStartedAt !== undefined) {
    // The wait above begins after PostgreSQL and S3: the node's own time is its Ready transition's.
    const ready = (await readNodeConditions(access))?.find((c) => c.type === "Ready");
    const since = (Date.parse(ready?.lastTransitionTime ?? "") - started.kubeletStartedAt) / 1000;
    if (since >= 0) took["kubelet start to node Ready"] = since;
  }
  const identities = ensureNodeIdentities(start.pki, nodeLayout(zoneDir), start.apiserverUrl, start.context);
  const specs = nodeSpecs(nodeLayout(zoneDir), identities, start);
  for (const name of ["kube-router", "metrics-server"] as const) ensureProcess(zoneDir, specs[name], say);
  await timed("kube-proxy", () =>
    waitFor(
      "kube-proxy",
      () => answers200(`http://127.0.0.1:${NODE_PORTS.kubeProxyHealthz}/healthz`),
      opts("kube-proxy"),
    ),
  );
  await timed("cluster DNS", () =>
    waitFor("cluster DNS", async () => (await clusterDnsAnswer()).length > 0, opts("coredns")),
  );
  await timed("kube-router", () =>
    waitFor(
      "kube-router",
      () => answers200(`http://127.0.0.1:${NODE_PORTS.kubeRouterMetrics}/metrics`),
      opts("kube-router"),
    ),
  );
  await timed("metrics API", async () => {
    await waitFor("metrics-server", () => metricsServerLive(access), opts("metrics-server"));
    await ensureMetricsApi(access, start.pki.caCert, NODE_USERS.metricsServer, true);
    await waitFor(
      `APIService ${METRICS_APISERVICE} to be Available`,
      async () => (await metricsApiAvailability(access)).available,
      opts("metrics-server"),
    );
  });
  return took;
}

/** What `zone:status` shows of one part of the node. */
export interface NodePartStatus {
  readonly name: string;
  readonly up: boolean;
  readonly pid?: number;
  readonly detail?: string;
  readonly log?: string;
}

/** Each part of the node: whether its process runs and whether it does its work. */
export async function nodeStatus(
  zoneDir: string,
  access: KubeAccess | undefined,
  bins: NodeBinaries,
): Promise<NodePartStatus[]> {
  const layout = nodeLayout(zoneDir);
  const parts: NodePartStatus[] = [];
  const linkUp = nodeLinkReady();
  parts.push({
    name: "node-network",
    up: linkUp && attempt("iptables", ["-t", "mangle", "-n", "-L", NODE_GUARD_CHAIN]).ok,
    detail: linkUp
      ? `${NODE_LINK} ${NODE_IP} and DNS ${CLUSTER_DNS_IP}, guard ${NODE_GUARD_CHAIN}`
      : `${NODE_LINK} missing`,
  });
  const check: Record<NodeProcess, () => Promise<{ up: boolean; detail: string }>> = {
    containerd: async () => {
      const up = await containerdAnswers(bins.ctr, layout.containerdSocket);
      return { up, detail: layout.containerdSocket };
    },
    kubelet: async () => {
      const healthz = await httpGet(`http://127.0.0.1:${NODE_PORTS.kubeletHealthz}/healthz`).catch(
        () => undefined,
      );
      const conditions = access ? await nodeConditions(access).catch(() => undefined) : undefined;
      const ready = conditions?.["Ready"] === "True";
      const pressure = Object.entries(conditions ?? {})
        .filter(([type, status]) => type !== "Ready" && status === "True")
        .map(([type]) => type);
      return {
        up: healthz?.body.trim() === "ok" && ready,
        detail:
          `healthz ${healthz?.body.trim() || "no answer"}, node ${NODE_NAME} ` +
          `${conditions ? (ready ? "Ready" : "NotReady") : "not registered"}` +
          (pressure.length > 0 ? ` (${pressure.join(", ")})` : ""),
      };
    },
    "kube-proxy": async () => {
      const up = await answers200(`http://127.0.0.1:${NODE_PORTS.kubeProxyHealthz}/healthz`);
      return { up, detail: up ? "iptables mode, rules synced" : "healthz not answering 200" };
    },
    coredns: async () => {
      const answer = await clusterDnsAnswer().catch((err: unknown) => String(err));
      const up = Array.isArray(answer) && answer.length > 0;
      return {
        up,
        detail: `${CLUSTER_DNS_IP}:53 ${up ? `answers kubernetes.default = ${String(answer)}` : `does not answer (${String(answer)})`}`,
      };
    },
    "kube-router": async () => {
      const up = await answers200(`http://127.0.0.1:${NODE_PORTS.kubeRouterMetrics}/metrics`);
      return { up, detail: up ? "NetworkPolicy firewall" : "metrics not answering" };
    },
    "metrics-server": async () => {
      const live = access ? await metricsServerLive(access) : false;
      const api = access
        ? await metricsApiAvailability(access).catch((err: unknown) => ({
            available: false,
            reason: String(err),
          }))
        : { available: false, reason: "no kubeconfig" };
      return {
        up: live && api.available,
        detail:
          `${NODE_IP}:${NODE_PORTS.metricsServer} ${live ? "live" : "not answering"}, ` +
          `${METRICS_APISERVICE} ${api.available ? "Available" : `unavailable (${api.reason})`}`,
      };
    },
  };
  for (const name of NODE_PROCESSES) {
    const pid = runningPid(zoneDir, name, processCommand(bins, name));
    const log = logFile(zoneDir, name);
    if (pid === undefined) {
      parts.push({ name, up: false, log });
      continue;
    }
    const { up, detail } = await check[name]();
    parts.push({ name, up, pid, detail, log });
  }
  return parts;
}

/**
 * Stops the node and removes every trace of it from the machine: the kubelet and the
 * network parts first (so nothing starts containers again), then the containers through
 * containerd, containerd itself, and the sweep of what is left (see `sweepNode`).
 */
export async function stopNode(zoneDir: string, bins: NodeBinaries, say: Say): Promise<SweepReport> {
  const layout = nodeLayout(zoneDir);
  const stop = async (name: NodeProcess): Promise<void> => {
    const stopped = await stopProcess(zoneDir, name, processCommand(bins, name));
    say(`  ${name}: ${stopped ? "stopped" : "not running"}`);
  };
  await Promise.all(
    (["kubelet", "kube-proxy", "coredns", "kube-router", "metrics-server"] as const).map(stop),
  );
  if (runningPid(zoneDir, "containerd", bins.containerd) !== undefined && existsSync(bins.ctr)) {
    const drained = await drainContainers(bins.ctr, layout.containerdSocket, 10_000);
    say(`  containers: ${drained.stopped} stopped`);
  }
  await stop("containerd");
  const report = await sweepNode(layout, bins.runc);
  say(
    `  node cleanup: ${report.mounts} mount(s), ${report.netns} network namespace(s), ` +
      `links [${report.links.join(", ")}], iptables [${report.iptables.join(", ")}], ` +
      `${report.ipsets} ipset(s), ${report.cgroups} cgroup(s), ${report.processes} leftover process(es)` +
      (report.sysctls.length > 0 ? `, restored ${report.sysctls.join(" ")}` : ""),
  );
  return report;
}
