/**
 * A project's namespace is its private network: nothing reaches its pods and nothing leaves them
 * unless one of its NetworkPolicies opens that path, and nothing of it is published on the
 * nodes' addresses (only the zone's ingress controller exposes apps).
 *
 * The rule validates both single resources and the whole stack: Services are refused before
 * they are created; whether a default-deny policy exists can only be seen in the stack as a
 * whole. The policy SDK runs each part on its own (`isResourcePolicy` / `isStackPolicy`).
 */
import * as k8s from "@pulumi/kubernetes";
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  StackValidationArgs,
} from "@pulumi/policy";
import { kubeTypeOf, type ObjectMeta } from "../kube.js";
import type { NetworkIsolationConfig } from "../config.js";
import { egressRangeViolations } from "./egress-ranges.js";
import { CLUSTER_SCOPED_KINDS } from "./namespace-confinement.js";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** A policy that selects every pod and allows nothing, in or out. */
export function isDefaultDeny(spec: NetworkPolicySpec | undefined): boolean {
  if (!spec) return false;
  const selector = spec.podSelector as k8s.types.input.meta.v1.LabelSelector | undefined;
  const selectsAll =
    selector !== undefined &&
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    ((selector.matchExpressions ?? []) as unknown[]).length === 0;
  const types = (spec.policyTypes ?? []) as string[];
  const noRules =
    ((spec.ingress ?? []) as unknown[]).length === 0 && ((spec.egress ?? []) as unknown[]).length === 0;
  return selectsAll && types.includes("Ingress") && types.includes("Egress") && noRules;
}

function namespaceOf(resource: PolicyResource): string | undefined {
  const metadata = resource.props.metadata as ObjectMeta | undefined;
  if (resource.isType(k8s.core.v1.Namespace)) return metadata?.name;
  return metadata?.namespace;
}

/** Namespaces the stack creates or puts namespaced objects in. */
function namespacesOf(resources: readonly PolicyResource[]): Set<string> {
  const namespaces = new Set<string>();
  for (const resource of resources) {
    const type = kubeTypeOf(resource.type);
    if (!type) continue;
    if (!resource.isType(k8s.core.v1.Namespace) && CLUSTER_SCOPED_KINDS.has(`${type.group}/${type.kind}`))
      continue;
    const namespace = namespaceOf(resource);
    if (namespace) namespaces.add(namespace);
  }
  return namespaces;
}

function validateDefaultDeny(args: StackValidationArgs, reportViolation: (message: string) => void): void {
  const namespaces = namespacesOf(args.resources);
  if (namespaces.size === 0) return args.notApplicable("The stack has no namespaced Kubernetes objects");
  const denied = new Set<string>();
  for (const resource of args.resources) {
    if (!resource.isType(k8s.networking.v1.NetworkPolicy)) continue;
    const props = resource.props as { metadata?: ObjectMeta; spec?: NetworkPolicySpec };
    if (props.metadata?.namespace && isDefaultDeny(props.spec)) denied.add(props.metadata.namespace);
  }
  for (const namespace of [...namespaces].sort()) {
    if (denied.has(namespace)) continue;
    reportViolation(
      `namespace '${namespace}' has no default-deny NetworkPolicy: one with spec.podSelector {}, spec.policyTypes [Ingress, Egress] and no ingress or egress rules`,
    );
  }
}

export const networkIsolation: ResourceValidationPolicy & StackValidationPolicy = {
  name: "network-isolation",
  description:
    "The project's namespace has a default-deny NetworkPolicy; egress never opens the zone's own or private ranges (nor their NAT64 forms) but to the zone's services; Services are ClusterIP only, without external IPs or hand-written endpoints.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      zoneRanges: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description: "The zone's own address ranges (nodes, API server, storage hosts), closed to egress.",
      },
      zoneServices: {
        type: "array",
        items: {
          type: "object",
          properties: { cidr: { type: "string" }, port: { type: "integer" } },
          required: ["cidr", "port"],
        },
        default: [],
        description:
          "The zone's services (Postgres, S3) by address range and TCP port, the only way into those ranges.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const networkPolicy = args.asType(k8s.networking.v1.NetworkPolicy);
    if (networkPolicy) {
      const config = args.getConfig<Partial<NetworkIsolationConfig>>();
      for (const violation of egressRangeViolations(networkPolicy.spec as NetworkPolicySpec, config)) {
        reportViolation(violation);
      }
      return;
    }
    if (args.isType(k8s.core.v1.Endpoints) || args.isType(k8s.discovery.v1.EndpointSlice)) {
      reportViolation(
        `${args.isType(k8s.core.v1.Endpoints) ? "Endpoints" : "EndpointSlice"} objects are not allowed: written by hand they route a Service, and the ingress in front of it, to any address`,
      );
      return;
    }
    const service = args.asType(k8s.core.v1.Service);
    if (!service) {
      return args.notApplicable(
        "Policy only applies to NetworkPolicies, Services, Endpoints and EndpointSlices",
      );
    }
    const type = service.spec?.type;
    if (type !== undefined && type !== "ClusterIP") {
      reportViolation(
        `spec.type must be ClusterIP, got '${type}': apps are reached through the zone's ingress, not the nodes' addresses`,
      );
    }
    if ((service.spec?.externalIPs ?? []).length > 0) {
      reportViolation("spec.externalIPs must be empty: a Service may not claim the nodes' addresses");
    }
  },
  validateStack: validateDefaultDeny,
};
