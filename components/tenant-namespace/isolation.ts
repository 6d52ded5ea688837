import type * as k8s from "@pulumi/kubernetes";
import { internetExclusions } from "../../spec/address-ranges.js";
import type { ServiceEgress } from "./args.js";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** Label every namespace carries with its own name (Kubernetes 1.21+), usable in selectors. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export { PRIVATE_IPV4_RANGES, PRIVATE_IPV6_RANGES } from "../../spec/address-ranges.js";

const ALL_PODS = {};

/** Nothing in, nothing out: every other policy of the namespace opens one path. */
export function defaultDenySpec(): NetworkPolicySpec {
  return { podSelector: ALL_PODS, policyTypes: ["Ingress", "Egress"] };
}

/** The project's pods talk to each other freely: the namespace is the project's private network. */
export function sameNamespaceSpec(): NetworkPolicySpec {
  return {
    podSelector: ALL_PODS,
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [{ podSelector: ALL_PODS }] }],
    egress: [{ to: [{ podSelector: ALL_PODS }] }],
  };
}

/** Connections in from the zone's ingress controller (and Knative's data path where present). */
export function ingressControllerSpec(namespaces: readonly string[]): NetworkPolicySpec {
  return {
    podSelector: ALL_PODS,
    policyTypes: ["Ingress"],
    ingress: [
      {
        from: namespaces.map((namespace) => ({
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
        })),
      },
    ],
  };
}

/**
 * Name lookups against the cluster DNS, over UDP and TCP: its pods in kube-system, and the
 * addresses of a DNS that runs outside the pod network (a node-local cache), when the zone has one.
 */
export function dnsSpec(dnsAddresses: readonly string[] = []): NetworkPolicySpec {
  return {
    podSelector: ALL_PODS,
    policyTypes: ["Egress"],
    egress: [
      {
        to: [
          { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } } },
          ...dnsAddresses.map((address) => ({
            ipBlock: { cidr: `${address}/${address.includes(":") ? 128 : 32}` },
          })),
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ],
  };
}

/**
 * Public internet addresses, every port. Private and link-local ranges, the zone's own ranges
 * and their NAT64 forms stay closed (see `internetExclusions`).
 */
export function internetSpec(zoneRanges: readonly string[] = []): NetworkPolicySpec {
  const closed = internetExclusions(zoneRanges);
  return {
    podSelector: ALL_PODS,
    policyTypes: ["Egress"],
    egress: [
      {
        to: [
          { ipBlock: { cidr: "0.0.0.0/0", except: closed.ipv4 } },
          { ipBlock: { cidr: "::/0", except: closed.ipv6 } },
        ],
      },
    ],
  };
}

/** The zone's shared services (its Postgres and S3), which may sit on private addresses. */
export function serviceEgressSpec(destinations: readonly ServiceEgress[]): NetworkPolicySpec {
  return {
    podSelector: ALL_PODS,
    policyTypes: ["Egress"],
    egress: destinations.map((destination) => ({
      to: [{ ipBlock: { cidr: destination.cidr } }],
      ports: [{ protocol: "TCP", port: destination.port }],
    })),
  };
}

const READ = ["get", "list", "watch"];
const DEPLOY = [...READ, "create", "update", "patch", "delete"];

/**
 * What the project's own tokens may do, inside the namespace only: deploy and inspect the kinds
 * pluskube makes for a project. Quotas, limit ranges, network policies and RBAC itself are left
 * out, so a token can never loosen the isolation the platform put around it.
 */
export function projectRoleRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["pods", "pods/log", "events"], verbs: READ },
    { apiGroups: [""], resources: ["pods"], verbs: ["delete"] },
    {
      apiGroups: [""],
      resources: ["services", "configmaps", "secrets", "persistentvolumeclaims"],
      verbs: DEPLOY,
    },
    { apiGroups: ["apps"], resources: ["deployments", "deployments/scale"], verbs: DEPLOY },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: DEPLOY },
    { apiGroups: ["serving.knative.dev"], resources: ["services", "domainmappings"], verbs: DEPLOY },
    {
      apiGroups: ["serving.knative.dev"],
      resources: ["revisions", "routes", "configurations"],
      verbs: READ,
    },
  ];
}
