import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Log,
  PortForward,
  type KubeConfig,
  type V1Container,
  type V1Pod,
} from "@kubernetes/client-node";
import type { Writable } from "node:stream";
import { ClusterUnreachableError } from "./cluster.js";
import {
  ClusterRefusedError,
  MetricsUnavailableError,
  type AppObjects,
  type EventFacts,
  type NamespaceReader,
  type PodFacts,
  type PodLogOptions,
  type PodUsage,
  type PortTunnel,
  type Resources,
} from "./namespace-reader.js";

/** Events read per request: the namespace's most recent ones are enough to explain an app. */
const EVENT_LIMIT = 500;

const UNITS: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A measured quantity (metrics report `123456n` cores, `2048Ki` bytes) in base units; 0 when unreadable. */
export function measured(value: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(value?.trim() ?? "");
  if (!match) return 0;
  const unit = match[2] ? UNITS[match[2]] : 1;
  return unit === undefined ? 0 : Number(match[1]) * unit;
}

/**
 * A timestamp as ISO 8601 text. client-node types them as `Date`, but hands some through as the
 * API server's text or null (an event's `eventTime` MicroTime among them).
 */
function isoTime(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return typeof value === "string" && value !== "" ? value : undefined;
}

function selectorText(selector: Readonly<Record<string, string>>): string {
  return Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

function resources(containers: readonly V1Container[], which: "requests" | "limits"): Resources {
  let cpu: number | undefined;
  let memory: number | undefined;
  for (const container of containers) {
    const set = container.resources?.[which];
    if (set?.["cpu"] !== undefined) cpu = (cpu ?? 0) + measured(set["cpu"]) * 1000;
    if (set?.["memory"] !== undefined) memory = (memory ?? 0) + measured(set["memory"]);
  }
  return {
    cpuMillis: cpu === undefined ? undefined : Math.round(cpu),
    memoryBytes: memory === undefined ? undefined : Math.round(memory),
  };
}

function podFacts(pod: V1Pod): PodFacts {
  const statuses = pod.status?.containerStatuses ?? [];
  const waiting = statuses.find((status) => status.state?.waiting?.reason)?.state?.waiting;
  const terminated = statuses.find((status) => status.lastState?.terminated)?.lastState?.terminated;
  const containers = pod.spec?.containers ?? [];
  return {
    name: pod.metadata?.name ?? "",
    phase: pod.status?.phase ?? "Unknown",
    ready: pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    restarts: statuses.reduce((sum, status) => sum + status.restartCount, 0),
    waiting: waiting?.reason ? { reason: waiting.reason, message: waiting.message } : undefined,
    lastTermination: terminated
      ? {
          reason: terminated.reason,
          exitCode: terminated.exitCode,
          finishedAt: isoTime(terminated.finishedAt),
        }
      : undefined,
    owner: pod.metadata?.ownerReferences?.find((owner) => owner.kind === "ReplicaSet")?.name,
    requests: resources(containers, "requests"),
    limits: resources(containers, "limits"),
    createdAt: isoTime(pod.metadata?.creationTimestamp),
  };
}

/** One project namespace of a zone's cluster through `@kubernetes/client-node`. */
export class KubeNamespaceReader implements NamespaceReader {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    private readonly zone: string,
    private readonly namespace: string,
    private readonly config: KubeConfig,
  ) {
    this.core = config.makeApiClient(CoreV1Api);
    this.apps = config.makeApiClient(AppsV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  async appObjects(selector: Readonly<Record<string, string>>): Promise<AppObjects> {
    const namespace = this.namespace;
    const labelSelector = selectorText(selector);
    try {
      const [deployments, replicaSets, pods, events] = await Promise.all([
        this.apps.listNamespacedDeployment({ namespace, labelSelector }),
        this.apps.listNamespacedReplicaSet({ namespace, labelSelector }),
        this.core.listNamespacedPod({ namespace, labelSelector }),
        this.core.listNamespacedEvent({ namespace, limit: EVENT_LIMIT }),
      ]);
      // Events carry no labels: they belong to the app when they name one of its objects.
      const owned = new Set<string>();
      for (const item of deployments.items) owned.add(`Deployment/${item.metadata?.name}`);
      for (const item of replicaSets.items) owned.add(`ReplicaSet/${item.metadata?.name}`);
      for (const item of pods.items) owned.add(`Pod/${item.metadata?.name}`);
      const appEvents: EventFacts[] = events.items
        .filter((event) => owned.has(`${event.involvedObject.kind}/${event.involvedObject.name}`))
        .map((event) => ({
          type: event.type ?? "Normal",
          reason: event.reason ?? "",
          message: event.message ?? "",
          object: { kind: event.involvedObject.kind ?? "", name: event.involvedObject.name ?? "" },
          count: event.series?.count ?? event.count ?? 1,
          lastSeen: isoTime(event.lastTimestamp) ?? isoTime(event.eventTime) ?? isoTime(event.firstTimestamp),
        }))
        .sort((a, b) => (b.lastSeen ?? "").localeCompare(a.lastSeen ?? ""));
      return {
        deployments: deployments.items.map((item) => ({
          name: item.metadata?.name ?? "",
          desired: item.spec?.replicas ?? 1,
          ready: item.status?.readyReplicas ?? 0,
          available: item.status?.availableReplicas ?? 0,
          updated: item.status?.updatedReplicas ?? 0,
          failing: (item.status?.conditions ?? [])
            .filter((c) => (c.type === "ReplicaFailure" ? c.status === "True" : c.status === "False"))
            .map((c) => ({ type: c.type, reason: c.reason ?? "", message: c.message ?? "" })),
        })),
        replicaSets: replicaSets.items.map((item) => item.metadata?.name ?? ""),
        pods: pods.items.map(podFacts),
        events: appEvents,
      };
    } catch (error) {
      throw new ClusterUnreachableError(this.zone, error);
    }
  }

  async podLog(pod: string, options: PodLogOptions, out: Writable): Promise<() => void> {
    try {
      const podObject = await this.core.readNamespacedPod({ name: pod, namespace: this.namespace });
      const container = podObject.spec?.containers[0]?.name ?? "app";
      const controller = await new Log(this.config).log(this.namespace, pod, container, out, {
        follow: options.follow,
        previous: options.previous,
        tailLines: options.tailLines,
        sinceSeconds: options.sinceSeconds,
        limitBytes: options.limitBytes,
      });
      return () => controller.abort();
    } catch (error) {
      if (error instanceof ApiException) {
        throw new ClusterRefusedError(error.code, refusalMessage(error));
      }
      throw new ClusterUnreachableError(this.zone, error);
    }
  }

  async podUsage(selector: Readonly<Record<string, string>>): Promise<readonly PodUsage[]> {
    let list: { items?: PodMetricsItem[] };
    try {
      list = (await this.custom.listNamespacedCustomObject({
        group: "metrics.k8s.io",
        version: "v1beta1",
        namespace: this.namespace,
        plural: "pods",
        labelSelector: selectorText(selector),
      })) as { items?: PodMetricsItem[] };
    } catch (error) {
      throw metricsReadError(this.zone, error);
    }
    return (list.items ?? []).map(podUsageOf);
  }

  async portForward(pod: string, port: number, tunnel: PortTunnel): Promise<() => void> {
    try {
      // disconnectOnErr: an error of the pod's side ends the tunnel rather than leaving it half open.
      const socket = await new PortForward(this.config, true).portForward(
        this.namespace,
        pod,
        [port],
        tunnel.output,
        null,
        tunnel.input,
      );
      const ws = typeof socket === "function" ? socket() : socket;
      if (!ws) throw new Error("the port-forward connection closed at once");
      ws.on("close", tunnel.onClose);
      ws.on("error", tunnel.onClose);
      return () => ws.close();
    } catch (error) {
      // The handshake's failure comes as the ws client's error event: "Unexpected server response: 500".
      const message = String((error as { message?: unknown }).message ?? error);
      const status = /Unexpected server response: (\d{3})/.exec(message)?.[1];
      throw new ClusterRefusedError(status ? Number(status) : 502, message);
    }
  }
}

/** One pod's entry of the metrics API (`metrics.k8s.io/v1beta1` PodMetrics, with its pod's labels). */
export interface PodMetricsItem {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  containers?: { usage?: Record<string, string> }[];
}

/** A pod's CPU and memory, summed over its containers. */
export function podUsageOf(item: PodMetricsItem): PodUsage {
  return {
    pod: item.metadata?.name ?? "",
    cpuMillis: Math.round(
      (item.containers ?? []).reduce((sum, c) => sum + measured(c.usage?.["cpu"]), 0) * 1000,
    ),
    memoryBytes: Math.round(
      (item.containers ?? []).reduce((sum, c) => sum + measured(c.usage?.["memory"]), 0),
    ),
  };
}

/** What a failed read of the metrics API means. */
export function metricsReadError(zone: string, error: unknown): Error {
  // 404: no such API group; 503: the APIService is registered but its server does not answer.
  if (error instanceof ApiException && (error.code === 404 || error.code === 503)) {
    return new MetricsUnavailableError(zone);
  }
  return new ClusterUnreachableError(zone, error);
}

function refusalMessage(error: ApiException<unknown>): string {
  const body = error.body as { message?: unknown } | string | undefined;
  if (typeof body === "object" && typeof body.message === "string") return body.message;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      return body.slice(0, 500);
    }
  }
  return `the cluster answered ${error.code}`;
}
