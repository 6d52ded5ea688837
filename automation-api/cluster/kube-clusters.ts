import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { resolveZonePath, type ZoneSpec } from "../../spec/zone.js";
import {
  ClusterUnreachableError,
  type NamespaceFacts,
  type ZoneCluster,
  type ZoneClusters,
} from "./cluster.js";
import { KubeNamespaceReader } from "./kube-namespace-reader.js";
import type { NamespaceReader } from "./namespace-reader.js";

/**
 * The kubeconfig a zone file names (its current context unless it names one), or the ambient
 * one (`$KUBECONFIG`, `~/.kube/config`, in-cluster) when it names none, as the zone's stacks do.
 */
export function zoneKubeConfig(zone: ZoneSpec): KubeConfig {
  const config = new KubeConfig();
  if (zone.kubeconfig === undefined) config.loadFromDefault();
  else config.loadFromFile(resolveZonePath(zone.kubeconfig));
  if (zone.context !== undefined) config.setCurrentContext(zone.context);
  return config;
}

/** One zone's cluster through `@kubernetes/client-node`, with the zone file's credentials. */
class KubeZoneCluster implements ZoneCluster {
  private readonly core: CoreV1Api;

  constructor(
    private readonly zone: string,
    private readonly config: KubeConfig,
  ) {
    this.core = config.makeApiClient(CoreV1Api);
  }

  inNamespace(namespace: string): NamespaceReader {
    return new KubeNamespaceReader(this.zone, namespace, this.config);
  }

  async namespace(name: string): Promise<NamespaceFacts | undefined> {
    try {
      const namespace = await this.core.readNamespace({ name });
      return {
        name,
        labels: namespace.metadata?.labels ?? {},
        terminating: namespace.status?.phase === "Terminating",
      };
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw new ClusterUnreachableError(this.zone, error);
    }
  }

  async secretData(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ namespace, name });
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([key, value]) => [
          key,
          Buffer.from(value, "base64").toString("utf8"),
        ]),
      );
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw new ClusterUnreachableError(this.zone, error);
    }
  }
}

/**
 * Readers of the zones' clusters, each made on first use from its zone file and kept: a zone's
 * kubeconfig is read once, as the rest of a zone file is.
 */
export function kubeClusters(): ZoneClusters {
  const byZone = new Map<string, ZoneCluster>();
  return {
    cluster(zone) {
      let cluster = byZone.get(zone.name);
      if (!cluster) {
        try {
          cluster = new KubeZoneCluster(zone.name, zoneKubeConfig(zone));
        } catch (error) {
          throw new ClusterUnreachableError(zone.name, error);
        }
        byZone.set(zone.name, cluster);
      }
      return cluster;
    },
  };
}
