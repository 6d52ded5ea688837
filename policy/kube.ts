/**
 * How the rules see Kubernetes resources: type tokens, the workload kinds that carry a pod
 * template, and the containers inside one, each with the field path messages name.
 */
import * as k8s from "@pulumi/kubernetes";
import type { ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";

export type PodSpec = Unwrap<k8s.types.input.core.v1.PodSpec>;
export type Container = Unwrap<k8s.types.input.core.v1.Container>;
export type ObjectMeta = Unwrap<k8s.types.input.meta.v1.ObjectMeta>;
export type SecurityContext = Unwrap<k8s.types.input.core.v1.SecurityContext>;
export type PodSecurityContext = Unwrap<k8s.types.input.core.v1.PodSecurityContext>;

/** Knative Services have no class in @pulumi/kubernetes; they are made as CustomResources. */
export const KNATIVE_SERVICE_TYPE = "kubernetes:serving.knative.dev/v1:Service";

/** What the rules need of a resource; both `ResourceValidationArgs` and `PolicyResource` fit. */
export type KubeResource = Pick<ResourceValidationArgs, "type" | "props" | "isType">;

/** A Pulumi Kubernetes type token split up: `kubernetes:apps/v1:Deployment`. */
export interface KubeType {
  /** API group, `""` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Splits `kubernetes:<group>/<version>:<Kind>`; `undefined` for other providers' types. */
export function kubeTypeOf(type: string): KubeType | undefined {
  const match = /^kubernetes:([^:/]+)(?:\/([^:]+))?:([^:]+)$/.exec(type);
  if (!match) return undefined;
  const group = match[1] === "core" ? "" : (match[1] as string);
  return { group, version: match[2] ?? "", kind: match[3] as string };
}

/** Kinds that run pods from a template, and where the template sits. */
export const WorkloadKind = {
  deployment: "Deployment",
  statefulSet: "StatefulSet",
  replicaSet: "ReplicaSet",
  daemonSet: "DaemonSet",
  job: "Job",
  cronJob: "CronJob",
  pod: "Pod",
  knativeService: "Knative Service",
} as const;
export type WorkloadKind = (typeof WorkloadKind)[keyof typeof WorkloadKind];

/** Which workload kind a resource is, or `undefined` when it runs no pods. */
export function workloadKindOf(resource: KubeResource): WorkloadKind | undefined {
  if (resource.isType(k8s.apps.v1.Deployment)) return WorkloadKind.deployment;
  if (resource.isType(k8s.apps.v1.StatefulSet)) return WorkloadKind.statefulSet;
  if (resource.isType(k8s.apps.v1.ReplicaSet)) return WorkloadKind.replicaSet;
  if (resource.isType(k8s.apps.v1.DaemonSet)) return WorkloadKind.daemonSet;
  if (resource.isType(k8s.batch.v1.Job)) return WorkloadKind.job;
  if (resource.isType(k8s.batch.v1.CronJob)) return WorkloadKind.cronJob;
  if (resource.isType(k8s.core.v1.Pod)) return WorkloadKind.pod;
  if (resource.type === KNATIVE_SERVICE_TYPE) return WorkloadKind.knativeService;
  return undefined;
}

/** The pod a workload runs, with the paths of its spec and metadata inside the resource. */
export interface PodTemplate {
  readonly kind: WorkloadKind;
  /** Path of the pod spec, such as `spec.template.spec`. */
  readonly path: string;
  readonly spec: PodSpec;
  /** Path of the pod's metadata, such as `spec.template.metadata`. */
  readonly metadataPath: string;
  readonly metadata: ObjectMeta | undefined;
}

type Template = { metadata?: ObjectMeta; spec?: PodSpec } | undefined;

/** The pod template of a workload, or `undefined` when the resource has none. */
export function podTemplateOf(resource: KubeResource, kind: WorkloadKind): PodTemplate | undefined {
  const props = resource.props as {
    metadata?: ObjectMeta;
    spec?: PodSpec & { template?: Template; jobTemplate?: { spec?: { template?: Template } } };
  };
  if (kind === WorkloadKind.pod) {
    if (!props.spec) return undefined;
    return { kind, path: "spec", spec: props.spec, metadataPath: "metadata", metadata: props.metadata };
  }
  const [prefix, template] =
    kind === WorkloadKind.cronJob
      ? ["spec.jobTemplate.spec.template", props.spec?.jobTemplate?.spec?.template]
      : ["spec.template", props.spec?.template];
  if (!template?.spec) return undefined;
  return {
    kind,
    path: `${prefix}.spec`,
    spec: template.spec,
    metadataPath: `${prefix}.metadata`,
    metadata: template.metadata,
  };
}

export const ContainerGroup = {
  containers: "containers",
  initContainers: "initContainers",
  ephemeralContainers: "ephemeralContainers",
} as const;
export type ContainerGroup = (typeof ContainerGroup)[keyof typeof ContainerGroup];

export const ALL_CONTAINER_GROUPS: readonly ContainerGroup[] = Object.values(ContainerGroup);

/** One container of a pod and its path, such as `spec.template.spec.initContainers[0]`. */
export interface ContainerAt {
  readonly group: ContainerGroup;
  readonly path: string;
  readonly container: Container;
}

/** The containers of a pod, in the given groups (all by default), in declaration order. */
export function containersOf(
  pod: Pick<PodTemplate, "path" | "spec">,
  groups: readonly ContainerGroup[] = ALL_CONTAINER_GROUPS,
): ContainerAt[] {
  return groups.flatMap((group) =>
    // Ephemeral containers share the fields the rules read with ordinary ones.
    ((pod.spec[group] ?? []) as Container[]).map((container, index) => ({
      group,
      path: `${pod.path}.${group}[${index}]`,
      container,
    })),
  );
}
