export type { NamespaceFacts, ZoneCluster, ZoneClusters } from "./cluster.js";
export { ClusterUnreachableError } from "./cluster.js";
export { kubeClusters, zoneKubeConfig } from "./kube-clusters.js";
export type {
  AppObjects,
  EventFacts,
  NamespaceReader,
  PodFacts,
  PodLogOptions,
  PodUsage,
  PortTunnel,
  WorkloadFacts,
} from "./namespace-reader.js";
export { ClusterRefusedError, MetricsUnavailableError } from "./namespace-reader.js";
