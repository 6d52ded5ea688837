/**
 * The real node's fixed addresses, names and loopback ports. One zone runs per machine, so
 * these are host-global: the link, the bridge and the chains below exist once on the machine.
 */

/** The node's name in the cluster; the kubelet, kube-proxy and kube-router all go by it. */
export const NODE_NAME = "pluskube-node";

/** Label the real node carries, so tests and tools tell it from kwok's simulated nodes. */
export const REAL_NODE_LABEL = { key: "pluskube.dev/node", value: "real" } as const;

/** A dummy link holding the node's own address and the cluster DNS address. */
export const NODE_LINK = "pluskube0";

/** The node's address (kubelet `--node-ip`); pods reach the zone's PostgreSQL and S3 on it. */
export const NODE_IP = "10.254.254.1";

/** Cluster DNS, a host process on a link-local address (the NodeLocal DNSCache pattern). */
export const CLUSTER_DNS_IP = "169.254.20.10";

export const CLUSTER_DOMAIN = "cluster.local";

/** The CNI bridge the pods' veths hang off, and its network. */
export const POD_BRIDGE = "pluskube-br0";
export const POD_CIDR = "10.244.0.0/24";
export const POD_GATEWAY = "10.244.0.1";

/** All pod addresses of the cluster (kube-proxy's `--cluster-cidr`); kwok's fake pods stay outside it. */
export const CLUSTER_CIDR = "10.244.0.0/16";

/** kwok hands its simulated pods addresses from here, so none equals a real pod's address. */
export const SIMULATED_POD_CIDR = "10.245.0.0/16";

/** The API server's `--service-cluster-ip-range`. */
export const SERVICE_CIDR = "10.96.0.0/16";

/** The CNI network's name (conflist `name`; the bridge plugin's chains carry it in comments). */
export const CNI_NETWORK = "pluskube";

/**
 * Ports of the node's parts. The kubelet's API and metrics-server are on the node address, the
 * rest on loopback.
 */
export const NODE_PORTS = {
  kubelet: 16450,
  kubeletHealthz: 16451,
  kubeProxyHealthz: 16452,
  kubeProxyMetrics: 16453,
  corednsHealth: 16454,
  corednsReady: 16455,
  kubeRouterMetrics: 16456,
  /** On the node address: the API server's aggregation layer dials it there. */
  metricsServer: 16457,
} as const;

/** The containerd namespace the CRI plugin keeps Kubernetes' images and containers in. */
export const CRI_NAMESPACE = "k8s.io";
