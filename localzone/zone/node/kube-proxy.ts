import { stringify } from "yaml";
import type { ProcessSpec } from "../process.js";
import { writeFileIfChanged } from "./host.js";
import type { NodeLayout } from "./layout.js";
import { CLUSTER_CIDR, NODE_IP, NODE_NAME, NODE_PORTS } from "./network.js";

/**
 * kube-proxy in iptables mode, so ClusterIP Services work from pods. It is told to leave the
 * machine's kernel settings alone: no conntrack table size or timeouts (`0` keeps the kernel's),
 * and no NodePorts on loopback (`localhostNodePorts: false`), which would need
 * `route_localnet=1`, a setting that lets neighbours reach loopback services. NodePorts, which
 * tenants may not make anyway, exist on the node address only.
 */
export function kubeProxyConfiguration(kubeconfig: string): object {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig },
    mode: "iptables",
    hostnameOverride: NODE_NAME,
    clusterCIDR: CLUSTER_CIDR,
    detectLocalMode: "ClusterCIDR",
    healthzBindAddress: `127.0.0.1:${NODE_PORTS.kubeProxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${NODE_PORTS.kubeProxyMetrics}`,
    nodePortAddresses: [`${NODE_IP}/32`],
    iptables: { localhostNodePorts: false, masqueradeAll: false, syncPeriod: "30s", minSyncPeriod: "1s" },
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: "0s",
      tcpCloseWaitTimeout: "0s",
      udpTimeout: "0s",
      udpStreamTimeout: "0s",
    },
    logging: { format: "text" },
  };
}

export function kubeProxySpec(bin: string, layout: NodeLayout, kubeconfig: string): ProcessSpec {
  writeFileIfChanged(layout.kubeProxyConfig, stringify(kubeProxyConfiguration(kubeconfig)), 0o600);
  return {
    name: "kube-proxy",
    command: bin,
    args: [`--config=${layout.kubeProxyConfig}`, "--v=0"],
    env: { ...process.env, PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  };
}
