import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { applyObject, type KubeAccess } from "../kube.js";
import { ensureCertificate, writeKubeconfig, type Identity, type Pki } from "../pki.js";
import type { NodeLayout } from "./layout.js";
import { METRICS_SERVICE_HOST } from "./metrics-server.js";
import { NODE_IP, NODE_NAME } from "./network.js";

/** Users the node's host processes act as (client certificate CNs), beside the kubelet's own. */
export const NODE_USERS = {
  kubeProxy: "system:kube-proxy",
  coredns: "pluskube:coredns",
  kubeRouter: "pluskube:kube-router",
  apiserverKubeletClient: "pluskube:apiserver-kubelet-client",
  metricsServer: "pluskube:metrics-server",
} as const;

/** Certificates and kubeconfigs of the node's parts. */
export interface NodeIdentities {
  /** The kubelet's client certificate: user `system:node:<name>` in group `system:nodes`. */
  readonly kubeletKubeconfig: string;
  /** The kubelet's serving certificate, for the node address (the API server calls it there). */
  readonly kubeletServing: Identity;
  readonly kubeProxyKubeconfig: string;
  readonly corednsKubeconfig: string;
  readonly kubeRouterKubeconfig: string;
  /** metrics-server's client certificate: towards the API server and the kubelet alike. */
  readonly metricsServerKubeconfig: string;
  /**
   * metrics-server's serving certificate: the API server's aggregation layer checks it against
   * the APIService's `caBundle` (the zone CA) for the Service's name, while connecting to the
   * node address.
   */
  readonly metricsServerServing: Identity;
}

/**
 * The API server's client certificate towards kubelets (`--kubelet-client-certificate`), made
 * with the control plane's certificates since the API server starts before any node.
 */
export function ensureApiserverKubeletClient(pki: Pki): Identity {
  return ensureCertificate(pki, "apiserver-kubelet-client", `/CN=${NODE_USERS.apiserverKubeletClient}`, {
    kind: "client",
  });
}

/** Makes whatever certificate is missing and writes each part's kubeconfig (embedded certificates). */
export function ensureNodeIdentities(
  pki: Pki,
  layout: NodeLayout,
  server: string,
  context: string,
): NodeIdentities {
  mkdirSync(layout.kubeconfigDir, { recursive: true, mode: 0o700 });
  const kubeconfig = (name: string, identity: Identity): string => {
    const file = join(layout.kubeconfigDir, `${name}.kubeconfig`);
    writeKubeconfig(file, pki, server, context, identity);
    return file;
  };
  const client = { kind: "client" } as const;
  return {
    kubeletKubeconfig: kubeconfig(
      "kubelet",
      ensureCertificate(pki, "kubelet-client", `/O=system:nodes/CN=system:node:${NODE_NAME}`, client),
    ),
    kubeletServing: ensureCertificate(pki, "kubelet-serving", `/CN=${NODE_NAME}`, {
      kind: "server",
      dnsNames: [NODE_NAME],
      ips: [NODE_IP],
    }),
    kubeProxyKubeconfig: kubeconfig(
      "kube-proxy",
      ensureCertificate(pki, "kube-proxy", `/CN=${NODE_USERS.kubeProxy}`, client),
    ),
    corednsKubeconfig: kubeconfig(
      "coredns",
      ensureCertificate(pki, "coredns", `/CN=${NODE_USERS.coredns}`, client),
    ),
    kubeRouterKubeconfig: kubeconfig(
      "kube-router",
      ensureCertificate(pki, "kube-router", `/CN=${NODE_USERS.kubeRouter}`, client),
    ),
    metricsServerKubeconfig: kubeconfig(
      "metrics-server",
      ensureCertificate(pki, "metrics-server", `/CN=${NODE_USERS.metricsServer}`, client),
    ),
    metricsServerServing: ensureCertificate(pki, "metrics-server-serving", `/CN=${METRICS_SERVICE_HOST}`, {
      kind: "server",
      dnsNames: [METRICS_SERVICE_HOST],
      ips: [NODE_IP],
    }),
  };
}

const READ = ["get", "list", "watch"];

/** A ClusterRole and its binding to one user, applied server-side (safe to repeat). */
async function bindUser(
  access: KubeAccess,
  name: string,
  user: string,
  role: { readonly existing: string } | { readonly rules: readonly object[] },
): Promise<void> {
  const roleName = "existing" in role ? role.existing : name;
  if ("rules" in role) {
    await applyObject(access, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name },
      rules: role.rules,
    });
  }
  await applyObject(access, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  });
}

/**
 * What the node's host processes may read or do in the cluster. The kubelet needs no binding:
 * the Node authorizer grants a node what its own pods need. kube-proxy's user is bound by the
 * API server's bootstrap policy (`system:node-proxier`).
 */
export async function ensureNodeAccess(access: KubeAccess): Promise<void> {
  // The API server's calls to kubelets: logs, exec, port-forward, metrics.
  await bindUser(access, "pluskube:apiserver-kubelet-client", NODE_USERS.apiserverKubeletClient, {
    existing: "system:kubelet-api-admin",
  });
  // CoreDNS's kubernetes plugin, as in CoreDNS's own deployment manifests.
  await bindUser(access, "pluskube:coredns", NODE_USERS.coredns, {
    rules: [
      { apiGroups: [""], resources: ["endpoints", "services", "namespaces"], verbs: ["list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    ],
  });
  // kube-router as a NetworkPolicy engine only: it reads, and writes nothing to the cluster.
  await bindUser(access, "pluskube:kube-router", NODE_USERS.kubeRouter, {
    rules: [
      {
        apiGroups: [""],
        resources: ["namespaces", "pods", "services", "nodes", "endpoints"],
        verbs: READ,
      },
      { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
    ],
  });
}
