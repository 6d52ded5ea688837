import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { LabelKey } from "../../components/labels.js";
import type { PodUsage } from "./namespace-reader.js";
import { resolveZonePath, type ZoneSpec } from "../../spec/zone.js";
import {
  ClusterUnreachableError,
  type AppsUsage,
  type NamespaceFacts,
  type ZoneCluster,
  type ZoneClusters,
} from "./cluster.js";
import {
  KubeNamespaceReader,
  metricsReadError,
  podUsageOf,
  type PodMetricsItem,
} from "./kube-namespace-reader.js";
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
  private readonly custom: CustomObjectsApi;

  constructor(
    private readonly zone: string,
    private readonly config: KubeConfig,
  ) {
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  async appsUsage(): Promise<AppsUsage> {
    let list: { items?: PodMetricsItem[] };
    try {
      list = (await this.custom.listClusterCustomObject({
        group: "metrics.k8s.io",
        version: "v1beta1",
        plural: "pods",
        labelSelector: LabelKey.app,
      })) as { items?: PodMetricsItem[] };
    } catch (error) {
      throw metricsReadError(this.zone, error);
    }
    const byApp = new Map<string, PodUsage[]>();
    for (const item of list.items ?? []) {
      const namespace = item.metadata?.namespace ?? "";
      const labels = item.metadata?.labels ?? {};
      // As the member's own reads select: the project's label and the app's, in the project's namespace.
      if (labels[LabelKey.project] !== namespace) continue;
      const key = appKey(namespace, labels[LabelKey.app] ?? "");
      const pods = byApp.get(key) ?? [];
      pods.push(podUsageOf(item));
      byApp.set(key, pods);
    }
    return { of: (namespace, app) => byApp.get(appKey(namespace, app)) ?? [] };
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

function appKey(namespace: string, app: string): string {
  return `${namespace}/${app}`;
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
