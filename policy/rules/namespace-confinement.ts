/**
 * A project stack touches only its own namespace. Namespaced objects must name it (an object
 * without a namespace lands in whatever namespace the provider defaults to), and cluster-scoped
 * kinds, which act on the whole zone, are refused except the project's own Namespace.
 */
import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { NamespaceConfinementConfig } from "../config.js";
import { kubeTypeOf, type KubeType, type ObjectMeta } from "../kube.js";

/**
 * Cluster-scoped kinds as `<group>/<Kind>` (core group empty), from the Kubernetes API as of
 * 1.33 plus the cluster-wide kinds of cert-manager and Knative, which zones may run.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  "/Namespace",
  "/Node",
  "/PersistentVolume",
  "/ComponentStatus",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
  "apiextensions.k8s.io/CustomResourceDefinition",
  "apiregistration.k8s.io/APIService",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "admissionregistration.k8s.io/MutatingAdmissionPolicy",
  "admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
  "storage.k8s.io/StorageClass",
  "storage.k8s.io/CSIDriver",
  "storage.k8s.io/CSINode",
  "storage.k8s.io/VolumeAttachment",
  "storage.k8s.io/VolumeAttributesClass",
  "scheduling.k8s.io/PriorityClass",
  "node.k8s.io/RuntimeClass",
  "networking.k8s.io/IngressClass",
  "networking.k8s.io/IPAddress",
  "networking.k8s.io/ServiceCIDR",
  "certificates.k8s.io/CertificateSigningRequest",
  "certificates.k8s.io/ClusterTrustBundle",
  "flowcontrol.apiserver.k8s.io/FlowSchema",
  "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
  "resource.k8s.io/DeviceClass",
  "resource.k8s.io/ResourceSlice",
  "policy/PodSecurityPolicy",
  "cert-manager.io/ClusterIssuer",
  "networking.internal.knative.dev/ClusterDomainClaim",
]);

/**
 * Components of @pulumi/kubernetes (YAML files, kustomizations, Helm charts): their objects are
 * registered as resources of their own and checked one by one, so the component is left alone.
 */
function isKubernetesComponent(type: KubeType): boolean {
  return (
    type.group === "yaml" || type.group === "kustomize" || (type.group === "helm.sh" && type.kind === "Chart")
  );
}

export const namespaceConfinement: ResourceValidationPolicy = {
  name: "namespace-confinement",
  description:
    "Every namespaced Kubernetes object is in the project's namespace; no cluster-scoped kinds but the project's Namespace.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      namespace: {
        type: "string",
        default: "",
        description: "The project's namespace; empty: objects must name a namespace, any one.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const type = kubeTypeOf(args.type);
    if (!type) return args.notApplicable("Policy only applies to Kubernetes resources");
    if (isKubernetesComponent(type)) {
      return args.notApplicable("Kubernetes components are checked through the objects they create");
    }
    const { namespace = "" } = args.getConfig<Partial<NamespaceConfinementConfig>>();
    const kind = type.kind.replace(/Patch$/, "");
    const metadata = args.props.metadata as ObjectMeta | undefined;

    if (args.isType(k8s.helm.v3.Release)) {
      reportViolation(
        "a Helm Release is not allowed: the objects of its chart are created by the provider, where no rule can check them",
      );
      return;
    }
    if (kind.endsWith("List")) {
      reportViolation(
        `${type.kind} is not allowed: declare each object on its own so the rules can check it`,
      );
      return;
    }
    if (`${type.group}/${kind}` === "/Namespace") {
      if (type.kind === kind && (namespace === "" || metadata?.name === namespace)) return;
      reportViolation(
        namespace === ""
          ? `${type.kind} is not allowed: a stack may only create its project's Namespace`
          : `metadata.name must be '${namespace}': the stack may only create its project's Namespace, got '${metadata?.name ?? ""}'`,
      );
      return;
    }
    if (CLUSTER_SCOPED_KINDS.has(`${type.group}/${kind}`)) {
      reportViolation(
        `${type.group ? `${type.group}/` : ""}${type.kind} is cluster-scoped and not allowed: a project may only create objects in its own namespace`,
      );
      return;
    }
    const actual = metadata?.namespace;
    if (actual === undefined || actual === "") {
      const providerDefault = args.provider?.props.namespace as string | undefined;
      if (namespace !== "" && providerDefault === namespace) return;
      reportViolation(
        `metadata.namespace must be set${namespace ? ` to '${namespace}'` : ""}: without it the object lands in the provider's default namespace`,
      );
    } else if (namespace !== "" && actual !== namespace) {
      reportViolation(`metadata.namespace must be '${namespace}', got '${actual}'`);
    }
  },
};
