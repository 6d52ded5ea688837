import type { Readable, Writable } from "node:stream";

/**
 * What the service reads of one project's namespace to show a member their app at run time.
 * A reader is made for one namespace and every read stays in it; objects are picked by label
 * selector, never by a name the member sends (pods named in a request are checked against the
 * selector's list first, by the caller).
 */
export interface NamespaceReader {
  /** The Deployments, ReplicaSets and pods that match `selector`, and the events of those objects. */
  appObjects(selector: Readonly<Record<string, string>>): Promise<AppObjects>;
  /**
   * Writes the log of one pod's first container to `out` (ending it when the log ends); the
   * returned function stops a followed log. Throws `ClusterRefusedError` when the cluster refuses.
   */
  podLog(pod: string, options: PodLogOptions, out: Writable): Promise<() => void>;
  /** CPU and memory in use per pod; throws `MetricsUnavailableError` when the zone serves no metrics API. */
  podUsage(selector: Readonly<Record<string, string>>): Promise<readonly PodUsage[]>;
  /**
   * Tunnels TCP to `port` of `pod` through the API server: bytes of `input` go to the pod,
   * the pod's bytes to `output`. The returned function closes the tunnel; `onClose` is called
   * however it ends.
   */
  portForward(pod: string, port: number, tunnel: PortTunnel): Promise<() => void>;
}

export interface PortTunnel {
  readonly input: Readable;
  readonly output: Writable;
  readonly onClose: () => void;
}

export interface PodLogOptions {
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  readonly previous?: boolean;
  readonly follow?: boolean;
  /** The cluster stops sending after this many bytes. */
  readonly limitBytes?: number;
}

/** A Deployment's replica counts as its status reports them. */
export interface WorkloadFacts {
  readonly name: string;
  readonly desired: number;
  readonly ready: number;
  readonly available: number;
  readonly updated: number;
  /** Conditions that are not as they should be (e.g. `ReplicaFailure`), with the cluster's message. */
  readonly failing: readonly { readonly type: string; readonly reason: string; readonly message: string }[];
}

/** Why a container last ended: the kubelet's reason (`OOMKilled`, `Error`, `Completed`) and its exit code. */
export interface Termination {
  readonly reason: string | undefined;
  readonly exitCode: number;
  readonly finishedAt: string | undefined;
}

/** CPU in millicores and memory in bytes; `undefined` where the pod sets none. */
export interface Resources {
  readonly cpuMillis: number | undefined;
  readonly memoryBytes: number | undefined;
}

export interface PodFacts {
  readonly name: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  /** Why a container waits (`ImagePullBackOff`, `CrashLoopBackOff`), while it does. */
  readonly waiting: { readonly reason: string; readonly message: string | undefined } | undefined;
  readonly lastTermination: Termination | undefined;
  /** The ReplicaSet that owns the pod. */
  readonly owner: string | undefined;
  readonly requests: Resources;
  readonly limits: Resources;
  readonly createdAt: string | undefined;
}

export interface EventFacts {
  /** `Normal` or `Warning`. */
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly object: { readonly kind: string; readonly name: string };
  readonly count: number;
  readonly lastSeen: string | undefined;
}

export interface AppObjects {
  readonly deployments: readonly WorkloadFacts[];
  readonly replicaSets: readonly string[];
  readonly pods: readonly PodFacts[];
  /** Newest first. */
  readonly events: readonly EventFacts[];
}

export interface PodUsage {
  readonly pod: string;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** The cluster answered a runtime read with a refusal (e.g. the kubelet could not be reached for logs). */
export class ClusterRefusedError extends Error {
  constructor(
    /** The API server's HTTP status. */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ClusterRefusedError";
  }
}

/** The zone serves no metrics API (`metrics.k8s.io`), or it did not answer. */
export class MetricsUnavailableError extends Error {
  constructor(readonly zone: string) {
    super(`zone '${zone}' serves no resource metrics (metrics.k8s.io)`);
    this.name = "MetricsUnavailableError";
  }
}
