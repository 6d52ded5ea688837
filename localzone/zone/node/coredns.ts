import type { ProcessSpec } from "../process.js";
import { writeFileIfChanged } from "./host.js";
import type { NodeLayout } from "./layout.js";
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, NODE_PORTS } from "./network.js";

/**
 * Cluster DNS as a host process on the cluster DNS address (the NodeLocal DNSCache pattern):
 * the zone's names from the API server, everything else from the machine's own resolvers.
 * Pods' names are not served (`pods disabled`): apps find each other by Service.
 */
export function corefile(kubeconfig: string, context: string): string {
  return `# Written by pluskube's local zone on every start; edits are overwritten.
.:53 {
    bind ${CLUSTER_DNS_IP}
    errors
    health 127.0.0.1:${NODE_PORTS.corednsHealth}
    ready 127.0.0.1:${NODE_PORTS.corednsReady}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} ${context}
        pods disabled
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    forward . /etc/resolv.conf
    cache 30
    loop
    loadbalance
}
`;
}

export function corednsSpec(
  bin: string,
  layout: NodeLayout,
  kubeconfig: string,
  context: string,
): ProcessSpec {
  writeFileIfChanged(layout.corefile, corefile(kubeconfig, context));
  return { name: "coredns", command: bin, args: ["-conf", layout.corefile], cwd: layout.dir };
}
