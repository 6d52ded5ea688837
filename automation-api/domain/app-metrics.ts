import type { PodFacts, PodUsage, Resources } from "../cluster/namespace-reader.js";

function plus(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

function added(a: Resources, b: Resources): Resources {
  return { cpuMillis: plus(a.cpuMillis, b.cpuMillis), memoryBytes: plus(a.memoryBytes, b.memoryBytes) };
}

/**
 * CPU and memory in use per pod and for the whole app, each beside what the pod requests and
 * may use at most. Pods the metrics API does not report yet (just started) count as using 0.
 */
export function appMetrics(app: string, pods: readonly PodFacts[], usage: readonly PodUsage[]) {
  const byPod = new Map(usage.map((entry) => [entry.pod, entry]));
  const perPod = pods.map((pod) => ({
    pod: pod.name,
    cpuMillis: byPod.get(pod.name)?.cpuMillis ?? 0,
    memoryBytes: byPod.get(pod.name)?.memoryBytes ?? 0,
    requests: pod.requests,
    limits: pod.limits,
  }));
  const none: Resources = { cpuMillis: undefined, memoryBytes: undefined };
  return {
    app,
    total: {
      cpuMillis: perPod.reduce((sum, pod) => sum + pod.cpuMillis, 0),
      memoryBytes: perPod.reduce((sum, pod) => sum + pod.memoryBytes, 0),
      requests: perPod.reduce((sum, pod) => added(sum, pod.requests), none),
      limits: perPod.reduce((sum, pod) => added(sum, pod.limits), none),
    },
    pods: perPod,
  };
}
