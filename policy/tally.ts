/**
 * What a stack holds, counted from its Kubernetes objects in the units of a quota share, for
 * `tenant-quota`. A value unknown during preview is not counted; the tally lists it instead.
 */
import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource } from "@pulumi/policy";
import { OUTSIDE_CLUSTER_KINDS } from "../spec/claim-kinds.js";
import { bytes, cpuMillis, formatBytes, formatCpu, MAX_BYTES, MAX_CPU_MILLIS } from "../spec/quantity.js";
import {
  addUsage,
  noUsage,
  RESOURCE_DIMENSIONS,
  type ResourceDimension,
  type Usage as UsageOf,
} from "../spec/usage.js";
import { CLAIM_LABEL, CLAIM_SIZE_ANNOTATION } from "./config.js";
import {
  ContainerGroup,
  containersOf,
  kubeTypeOf,
  podTemplateOf,
  workloadKindOf,
  WorkloadKind,
  type Container,
  type ObjectMeta,
  type PodTemplate,
} from "./kube.js";
import { isUnknownValueError, unknownPath, type UnknownValueError } from "./preview.js";

/** A stack's usage in the dimensions the pack counts. */
export type Usage = UsageOf<ResourceDimension>;

export const NOTHING: Usage = noUsage(RESOURCE_DIMENSIONS);

const add = addUsage<ResourceDimension>;

/** Knative's upper bound of an app's pods; `0` means no bound. */
export const KNATIVE_MAX_SCALE_ANNOTATIONS = [
  "autoscaling.knative.dev/max-scale",
  "autoscaling.knative.dev/maxScale",
];

/** One resource's part of the total. */
export interface Counted {
  readonly resource: string;
  readonly usage: Partial<Usage>;
}

/** A value the tally could not count because the engine does not know it yet. */
export interface Uncounted {
  readonly resource: string;
  readonly path: string;
  readonly error: UnknownValueError;
}

/** Something the tally cannot hold to a share at all, reported as a violation. */
export interface Uncountable {
  readonly urn: string;
  readonly message: string;
}

export interface StackTally {
  readonly used: Usage;
  readonly counted: readonly Counted[];
  readonly uncounted: readonly Uncounted[];
  readonly uncountable: readonly Uncountable[];
}

function describe(resource: PolicyResource): string {
  const kind = kubeTypeOf(resource.type)?.kind ?? resource.type;
  return resource.type === "kubernetes:serving.knative.dev/v1:Service"
    ? `Knative Service ${resource.name}`
    : `${kind} ${resource.name}`;
}

/**
 * A quantity the tally cannot count: not a quantity, not finite or beyond the bounds of
 * spec/quantity.ts. Counting it as zero would let it through, so the resource is uncountable.
 */
class UncountableQuantity extends Error {}

/** A quantity of a resource's field, or an `UncountableQuantity` naming the field. */
function quantity(parse: (value: string) => number | undefined, value: unknown, field: string): number {
  const parsed = parse(String(value));
  if (parsed === undefined) {
    throw new UncountableQuantity(
      `${field} must be a positive quantity the pack can count (at most ${formatBytes(MAX_BYTES)} or ${formatCpu(MAX_CPU_MILLIS)} CPUs), got '${String(value)}'`,
    );
  }
  return parsed;
}

const CONTAINER_DIMENSIONS = [
  ["cpu", "cpuMillis", cpuMillis],
  ["memory", "memoryBytes", bytes],
  ["ephemeral-storage", "diskBytes", bytes],
] as const;

/** The larger of a container's request and limit in each dimension (components set them equal). */
function containerUsage(container: Container): Partial<Usage> {
  const usage: Partial<Record<ResourceDimension, number>> = {};
  for (const [resource, dimension, parse] of CONTAINER_DIMENSIONS) {
    const values = (["requests", "limits"] as const)
      .filter((group) => container.resources?.[group]?.[resource] !== undefined)
      .map((group) =>
        quantity(
          parse,
          container.resources?.[group]?.[resource],
          `${container.name}.resources.${group}.${resource}`,
        ),
      );
    usage[dimension] = Math.max(0, ...values);
  }
  return usage;
}

function maxUsage(a: Partial<Usage>, b: Partial<Usage>): Partial<Usage> {
  const result: Partial<Record<ResourceDimension, number>> = {};
  for (const dimension of RESOURCE_DIMENSIONS)
    result[dimension] = Math.max(a[dimension] ?? 0, b[dimension] ?? 0);
  return result;
}

/**
 * What one pod holds, as the scheduler counts it: the larger of its app containers (plus sidecar
 * init containers, which keep running) and its largest init container (plus those sidecars).
 *
 * Disk-backed emptyDirs count as disk only when some app container has no ephemeral-storage
 * limit: otherwise the kubelet holds the containers' usage and the emptyDirs together to the sum
 * of those limits, so the volumes are already inside the count (and so does the namespace's
 * ResourceQuota, which counts container limits only). See "Local ephemeral storage" in
 * https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/. Generic
 * ephemeral volumes are PersistentVolumeClaims per pod and count as storage.
 */
export function podUsage(pod: PodTemplate): Usage {
  const inits = containersOf(pod, [ContainerGroup.initContainers]).map(({ container }) => container);
  const sidecars = inits.filter((container) => container.restartPolicy === "Always");
  const plainInits = inits.filter((container) => container.restartPolicy !== "Always");
  const running = [
    ...sidecars,
    ...containersOf(pod, [ContainerGroup.containers]).map(({ container }) => container),
  ];
  const sidecarUsage = sidecars.reduce((sum, container) => add(sum, containerUsage(container)), NOTHING);
  const appUsage = running.reduce((sum, container) => add(sum, containerUsage(container)), NOTHING);
  const initUsage = plainInits.reduce((max, container) => maxUsage(max, containerUsage(container)), {});
  let usage = { ...NOTHING, ...maxUsage(appUsage, add(sidecarUsage, initUsage)) };
  const diskBounded = running.every(
    (container) => container.resources?.limits?.["ephemeral-storage"] !== undefined,
  );
  for (const volume of pod.spec.volumes ?? []) {
    // Memory-backed emptyDirs are charged to the containers' memory limits.
    const emptyDir = volume.emptyDir;
    if (!diskBounded && emptyDir && emptyDir.medium !== "Memory" && emptyDir.sizeLimit !== undefined) {
      usage = add(usage, {
        diskBytes: quantity(bytes, emptyDir.sizeLimit, `volume ${volume.name} emptyDir.sizeLimit`),
      });
    }
    const claim = volume.ephemeral?.volumeClaimTemplate?.spec.resources?.requests?.storage;
    if (claim !== undefined) {
      usage = add(usage, { storageBytes: quantity(bytes, claim, `volume ${volume.name} storage request`) });
    }
  }
  return usage;
}

/**
 * Largest `maxReplicas` of the HorizontalPodAutoscalers per `<Kind>/<name>` target. The namespace
 * is left out of the key: a stack's objects share one namespace (namespace-confinement), and
 * during a first preview that namespace is the TenantNamespace's output, still unknown, which
 * would leave every workload uncounted. Were two same-named workloads in two namespaces, both
 * would get the larger bound: more counted, never less.
 */
function autoscalerBounds(resources: readonly PolicyResource[], uncounted: Uncounted[]): Map<string, number> {
  const bounds = new Map<string, number>();
  for (const resource of resources) {
    if (
      !resource.isType(k8s.autoscaling.v2.HorizontalPodAutoscaler) &&
      !resource.isType(k8s.autoscaling.v1.HorizontalPodAutoscaler)
    ) {
      continue;
    }
    guard(resource, uncounted, () => {
      const props = resource.props as {
        metadata?: ObjectMeta;
        spec?: { scaleTargetRef?: { kind?: string; name?: string }; maxReplicas?: number };
      };
      const target = props.spec?.scaleTargetRef;
      const key = `${target?.kind}/${target?.name}`;
      bounds.set(key, Math.max(bounds.get(key) ?? 0, props.spec?.maxReplicas ?? 0));
    });
  }
  return bounds;
}

/**
 * Runs `count`, turning an unknown value into an entry of `uncounted` and a quantity it cannot
 * count into an entry of `uncountable`.
 */
function guard(
  resource: PolicyResource,
  uncounted: Uncounted[],
  count: () => void,
  uncountable?: Uncountable[],
): void {
  try {
    count();
  } catch (error) {
    if (error instanceof UncountableQuantity && uncountable) {
      uncountable.push({ urn: resource.urn, message: `${describe(resource)}: ${error.message}` });
      return;
    }
    if (!isUnknownValueError(error)) throw error;
    uncounted.push({ resource: describe(resource), path: unknownPath(error), error });
  }
}

type PodCount = { pods: number } | { refused: string };

function podCount(resource: PolicyResource, pod: PodTemplate, bounds: Map<string, number>): PodCount {
  const props = resource.props as {
    metadata?: ObjectMeta;
    spec?: { replicas?: number; parallelism?: number; jobTemplate?: { spec?: { parallelism?: number } } };
  };
  const scaled = (kind: string, replicas: number): number =>
    Math.max(replicas, bounds.get(`${kind}/${props.metadata?.name}`) ?? 0);
  switch (pod.kind) {
    case WorkloadKind.deployment:
    case WorkloadKind.statefulSet:
    case WorkloadKind.replicaSet:
      return { pods: scaled(pod.kind, props.spec?.replicas ?? 1) };
    case WorkloadKind.job:
      return { pods: props.spec?.parallelism ?? 1 };
    case WorkloadKind.cronJob:
      return { pods: props.spec?.jobTemplate?.spec?.parallelism ?? 1 };
    case WorkloadKind.pod:
      return { pods: 1 };
    case WorkloadKind.daemonSet:
      return {
        refused:
          "a DaemonSet runs a pod on every node of the zone, which no share can hold; use a Deployment",
      };
    case WorkloadKind.knativeService: {
      const annotations = pod.metadata?.annotations ?? {};
      const key = KNATIVE_MAX_SCALE_ANNOTATIONS.find((name) => annotations[name] !== undefined);
      if (key === undefined) return { pods: 1 };
      const value = annotations[key] as string;
      const max = Number(value);
      if (!Number.isInteger(max) || max < 1) {
        return {
          refused: `${pod.metadataPath}.annotations['${key}'] must be a whole number of at least 1 so the app's pods can be counted, got '${value}'`,
        };
      }
      return { pods: max };
    }
  }
}

/** Counts every resource of a stack that holds part of a share. */
export function tallyStack(resources: readonly PolicyResource[]): StackTally {
  const counted: Counted[] = [];
  const uncounted: Uncounted[] = [];
  const uncountable: Uncountable[] = [];
  const bounds = autoscalerBounds(resources, uncounted);
  const count = (resource: PolicyResource, usage: Partial<Usage>): void => {
    counted.push({ resource: describe(resource), usage });
  };

  for (const resource of resources) {
    guard(
      resource,
      uncounted,
      () => {
        const kind = workloadKindOf(resource);
        if (kind !== undefined) {
          const pod = podTemplateOf(resource, kind);
          if (!pod) return;
          const pods = podCount(resource, pod, bounds);
          if ("refused" in pods) {
            uncountable.push({ urn: resource.urn, message: `${describe(resource)}: ${pods.refused}` });
            return;
          }
          let usage = add(NOTHING, podUsage(pod), pods.pods);
          if (kind === WorkloadKind.statefulSet) {
            const templates = (resource.props.spec?.volumeClaimTemplates ??
              []) as k8s.types.input.core.v1.PersistentVolumeClaim[];
            for (const template of templates as {
              spec?: { resources?: { requests?: Record<string, string> } };
            }[]) {
              const storage = template.spec?.resources?.requests?.storage;
              if (storage !== undefined)
                usage = add(
                  usage,
                  { storageBytes: quantity(bytes, storage, "volumeClaimTemplates storage request") },
                  pods.pods,
                );
            }
          }
          count(resource, usage);
          return;
        }
        if (resource.isType(k8s.core.v1.PersistentVolumeClaim)) {
          const storage = resource.props.spec?.resources?.requests?.storage as string | undefined;
          count(resource, {
            storageBytes:
              storage === undefined ? 0 : quantity(bytes, storage, "spec.resources.requests.storage"),
          });
          return;
        }
        if (resource.isType(k8s.core.v1.Secret)) {
          const metadata = resource.props.metadata as ObjectMeta | undefined;
          const claim = metadata?.labels?.[CLAIM_LABEL];
          const kind = OUTSIDE_CLUSTER_KINDS.find((outside) => outside.singular === claim);
          if (kind === undefined) return;
          const value = metadata?.annotations?.[CLAIM_SIZE_ANNOTATION];
          const size = Number(value);
          if (value === undefined || value === "" || !Number.isFinite(size) || size < 0) {
            uncountable.push({
              urn: resource.urn,
              message: `${describe(resource)}: metadata.annotations['${CLAIM_SIZE_ANNOTATION}'] must be the ${claim}'s size in GB, got '${value ?? ""}'`,
            });
            return;
          }
          count(resource, { [kind.dimension]: size });
        }
      },
      uncountable,
    );
  }
  const used = counted.reduce((sum, { usage }) => add(sum, usage), NOTHING);
  return { used, counted, uncounted, uncountable };
}
