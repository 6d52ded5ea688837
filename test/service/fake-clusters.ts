import {
  ClusterUnreachableError,
  type NamespaceFacts,
  type ZoneCluster,
  type ZoneClusters,
} from "../../automation-api/cluster/cluster.js";
import type { ZoneSpec } from "../../spec/zone.js";

/** Zones' clusters as plain data: the namespaces a test says exist, and zones that fail to answer. */
export class FakeClusters implements ZoneClusters {
  private readonly namespaces = new Map<string, Map<string, NamespaceFacts>>();
  /** Zones whose cluster fails every read. */
  readonly unreachable = new Set<string>();

  addNamespace(zone: string, name: string, labels: Record<string, string> = {}, terminating = false): void {
    const namespaces = this.namespaces.get(zone) ?? new Map<string, NamespaceFacts>();
    namespaces.set(name, { name, labels, terminating });
    this.namespaces.set(zone, namespaces);
  }

  private readonly secrets = new Map<string, Record<string, string>>();

  /** A Secret of `namespace` in `zone` with `data` (plain text, as the real reader decodes it). */
  addSecret(zone: string, namespace: string, name: string, data: Record<string, string>): void {
    this.secrets.set(`${zone}/${namespace}/${name}`, data);
  }

  cluster(zone: ZoneSpec): ZoneCluster {
    const reachable = () => {
      if (this.unreachable.has(zone.name)) {
        throw new ClusterUnreachableError(zone.name, new Error("connect ECONNREFUSED"));
      }
    };
    return {
      namespace: async (name) => {
        reachable();
        return this.namespaces.get(zone.name)?.get(name);
      },
      secretData: async (namespace, name) => {
        reachable();
        return this.secrets.get(`${zone.name}/${namespace}/${name}`);
      },
    };
  }
}
