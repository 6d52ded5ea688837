import { PassThrough, type Writable } from "node:stream";
import {
  ClusterRefusedError,
  MetricsUnavailableError,
  type AppObjects,
  type NamespaceReader,
  type PodFacts,
  type PodLogOptions,
  type PodUsage,
  type PortTunnel,
} from "../../automation-api/cluster/namespace-reader.js";
import { LabelKey } from "../../components/labels.js";

/** A pod as a test writes it: a name, and anything else it cares about. */
export function fakePod(name: string, facts: Partial<PodFacts> = {}): PodFacts {
  return {
    name,
    phase: "Running",
    ready: true,
    restarts: 0,
    waiting: undefined,
    lastTermination: undefined,
    owner: undefined,
    requests: { cpuMillis: 250, memoryBytes: 512 * 2 ** 20 },
    limits: { cpuMillis: 250, memoryBytes: 512 * 2 ** 20 },
    createdAt: undefined,
    ...facts,
  };
}

/**
 * One namespace as plain data: each app's objects (by its app label), each pod's log, the
 * metrics the zone serves (or none), and a port-forward that echoes what it is sent.
 */
export class FakeNamespace implements NamespaceReader {
  readonly apps = new Map<string, AppObjects>();
  /** Log text by pod, and `<pod>/previous` for the previous run. */
  readonly logs = new Map<string, string>();
  /** Pods whose log the cluster refuses, with the API server's status. */
  readonly refusedLogs = new Map<string, number>();
  /** Followed logs still open, by pod: write to go on, end to end. */
  readonly followed = new Map<string, PassThrough>();
  /** Log requests as the reader received them. */
  readonly logRequests: { pod: string; options: PodLogOptions }[] = [];
  usage: readonly PodUsage[] | undefined = undefined;
  /** Open port-forwards as `<pod>:<port>`. */
  readonly tunnels: string[] = [];
  /** Pods whose port-forward the cluster refuses, with the API server's status. */
  readonly refusedTunnels = new Map<string, number>();

  constructor(readonly zone: string) {}

  async appObjects(selector: Readonly<Record<string, string>>): Promise<AppObjects> {
    const app = selector[LabelKey.app] ?? "";
    return this.apps.get(app) ?? { deployments: [], replicaSets: [], pods: [], events: [] };
  }

  async podLog(pod: string, options: PodLogOptions, out: Writable): Promise<() => void> {
    this.logRequests.push({ pod, options });
    const refused = this.refusedLogs.get(pod);
    if (refused !== undefined) throw new ClusterRefusedError(refused, `pod ${pod} refused`);
    const text = this.logs.get(options.previous ? `${pod}/previous` : pod) ?? "";
    const lines = text.split(/(?<=\n)/).filter(Boolean);
    const tail = options.tailLines === undefined ? lines : lines.slice(-options.tailLines);
    if (!options.follow) {
      out.end(tail.join(""));
      return () => {};
    }
    const source = new PassThrough();
    source.pipe(out);
    source.write(tail.join(""));
    this.followed.set(pod, source);
    return () => {
      this.followed.delete(pod);
      source.end();
    };
  }

  async podUsage(): Promise<readonly PodUsage[]> {
    if (!this.usage) throw new MetricsUnavailableError(this.zone);
    return this.usage;
  }

  async portForward(pod: string, port: number, tunnel: PortTunnel): Promise<() => void> {
    const refused = this.refusedTunnels.get(pod);
    if (refused !== undefined) throw new ClusterRefusedError(refused, "Unexpected server response: 500");
    const key = `${pod}:${port}`;
    this.tunnels.push(key);
    // The pod's side answers every chunk with the chunk, upper-cased.
    tunnel.input.on("data", (chunk: Buffer) => tunnel.output.write(chunk.toString("utf8").toUpperCase()));
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.tunnels.splice(this.tunnels.indexOf(key), 1);
      tunnel.onClose();
    };
  }
}
