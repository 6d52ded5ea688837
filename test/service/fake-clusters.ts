import {
  ClusterUnreachableError,
  type NamespaceFacts,
  type ZoneCluster,
  type ZoneClusters,
} from "../../automation-api/cluster/cluster.js";
import { MetricsUnavailableError } from "../../automation-api/cluster/namespace-reader.js";
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

  private readonly secrets = new Map<string, Record<string, string>>();

  /** A Secret of `namespace` in `zone` with `data` (plain text, as the real reader decodes it). */
  addSecret(zone: string, namespace: string, name: string, data: Record<string, string>): void {
    this.secrets.set(`${zone}/${namespace}/${name}`, data);
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
      inNamespace: (namespace) => {
        reachable();
        return this.inNamespace(zone.name, namespace);
      },
      // A namespace's usage stands for each of its apps, as its reader's does for any selector;
      // the zone serves metrics when one of its namespaces was given usage.
      appsUsage: async () => {
        reachable();
        const readers = [...this.readers].filter(([key]) => key.startsWith(`${zone.name}/`));
        if (readers.every(([, reader]) => reader.usage === undefined))
          throw new MetricsUnavailableError(zone.name);
        const byNamespace = new Map(
          readers.map(([key, reader]) => [key.slice(zone.name.length + 1), reader.usage ?? []]),
        );
        return { of: (namespace) => byNamespace.get(namespace) ?? [] };
      },
    };
  }
}
