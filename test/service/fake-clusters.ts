import {
  ClusterUnreachableError,
  type NamespaceFacts,
  type ZoneCluster,
  type ZoneClusters,
} from "../../automation-api/cluster/cluster.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { FakeNamespace } from "./fake-namespace.js";

/** Zones' clusters as plain data: the namespaces a test says exist, and zones that fail to answer. */
export class FakeClusters implements ZoneClusters {
  private readonly namespaces = new Map<string, Map<string, NamespaceFacts>>();
  /** Zones whose cluster fails every read. */
  readonly unreachable = new Set<string>();
  /** Runtime views by `<zone>/<namespace>`, made on first use. */
  private readonly readers = new Map<string, FakeNamespace>();

  addNamespace(zone: string, name: string, labels: Record<string, string> = {}, terminating = false): void {
    const namespaces = this.namespaces.get(zone) ?? new Map<string, NamespaceFacts>();
    namespaces.set(name, { name, labels, terminating });
    this.namespaces.set(zone, namespaces);
  }

  /** The runtime view of a namespace, for a test to fill in. */
  inNamespace(zone: string, namespace: string): FakeNamespace {
    const key = `${zone}/${namespace}`;
    let reader = this.readers.get(key);
    if (!reader) {
      reader = new FakeNamespace(zone);
      this.readers.set(key, reader);
    }
    return reader;
  }

  cluster(zone: ZoneSpec): ZoneCluster {
    return {
      namespace: async (name) => {
        if (this.unreachable.has(zone.name)) {
          throw new ClusterUnreachableError(zone.name, new Error("connect ECONNREFUSED"));
        }
        return this.namespaces.get(zone.name)?.get(name);
      },
      inNamespace: (namespace) => {
        if (this.unreachable.has(zone.name)) {
          throw new ClusterUnreachableError(zone.name, new Error("connect ECONNREFUSED"));
        }
        return this.inNamespace(zone.name, namespace);
      },
    };
  }
}
