export type { NamespaceFacts, ZoneCluster, ZoneClusters } from "./cluster.js";
export { ClusterUnreachableError } from "./cluster.js";
export { kubeClusters, zoneKubeConfig } from "./kube-clusters.js";
