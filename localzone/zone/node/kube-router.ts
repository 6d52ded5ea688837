import type { ProcessSpec } from "../process.js";
import { NODE_NAME, NODE_PORTS, SERVICE_CIDR } from "./network.js";

/**
 * kube-router as the NetworkPolicy engine only (iptables and ipset): no routing, no BGP, no
 * service proxy (kube-proxy serves Services). With `--run-router=false` it opens no GoBGP
 * server at all, and its health endpoint, which would listen on every address, is off; its
 * metrics on loopback tell `zone:status` it runs.
 */
export function kubeRouterSpec(bin: string, kubeconfig: string): ProcessSpec {
  return {
    name: "kube-router",
    command: bin,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      "--run-firewall=true",
      "--run-router=false",
      "--run-service-proxy=false",
      "--run-loadbalancer=false",
      "--enable-cni=false",
      "--enable-ipv4=true",
      "--enable-ipv6=false",
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--health-port=0",
      "--metrics-addr=127.0.0.1",
      `--metrics-port=${NODE_PORTS.kubeRouterMetrics}`,
      "--iptables-sync-period=1m",
      "--v=0",
    ],
    env: { ...process.env, PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  };
}
