import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformLabels } from "../../components/labels.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { zoneKubernetesProvider } from "../providers.js";

/** Namespace of the platform's own objects in every zone. */
export const PLATFORM_NAMESPACE = "pluskube-system";
/** ConfigMap with the zone's shared settings, for the service and operators to read. */
export const ZONE_SETTINGS = "pluskube-zone";
/** PriorityClass of tenant workloads. */
export const TENANT_PRIORITY_CLASS = "pluskube-tenant";
/** Label naming the zone on the platform's objects. */
export const ZONE_LABEL = "pluskube.dev/zone";

/** What a zone stack reports. */
export interface ZoneOutputs {
  readonly platformNamespace: pulumi.Output<string>;
  readonly settingsConfigMap: pulumi.Output<string>;
  readonly tenantPriorityClass: pulumi.Output<string>;
  /** The RuntimeClass for tenant pods, when the zone has one. */
  readonly runtimeClass: pulumi.Output<string> | undefined;
}

/** The zone's shared settings as flat ConfigMap data; no credentials. */
export function zoneSettings(zone: ZoneSpec): Record<string, string> {
  return {
    name: zone.name,
    baseDomain: zone.baseDomain,
    ingressClass: zone.ingressClass,
    ingressNamespace: zone.ingressNamespace,
    storageClass: zone.storageClass,
    certIssuer: zone.certIssuer,
    knative: String(zone.knative),
    ...(zone.runtimeClass === undefined ? {} : { runtimeClass: zone.runtimeClass }),
    "chunk.cpu": zone.chunk.cpu,
    "chunk.memory": zone.chunk.memory,
    "chunk.disk": zone.chunk.disk,
    "capacity.cpu": zone.capacity.cpu,
    "capacity.memory": zone.capacity.memory,
    "capacity.disk": zone.capacity.disk,
    "capacity.databaseGB": String(zone.capacity.databaseGB),
    "capacity.objectGB": String(zone.capacity.objectGB),
    "reserve.cpu": zone.reserve.cpu,
    "reserve.memory": zone.reserve.memory,
    "reserve.disk": zone.reserve.disk,
  };
}

/**
 * The program of a zone stack (`pluskube-zone`, one stack per zone, run by its operators): the
 * platform namespace, the zone's shared settings, the PriorityClass of tenant workloads and,
 * when the zone has one, the RuntimeClass tenant pods run with.
 */
export function composeZone(zone: ZoneSpec): ZoneOutputs {
  const kubernetes = zoneKubernetesProvider(zone);
  const opts = { provider: kubernetes };
  const labels = { ...platformLabels(), [ZONE_LABEL]: zone.name };

  const namespace = new k8s.core.v1.Namespace(
    PLATFORM_NAMESPACE,
    { metadata: { name: PLATFORM_NAMESPACE, labels } },
    opts,
  );
  const settings = new k8s.core.v1.ConfigMap(
    `${zone.name}-settings`,
    {
      metadata: { name: ZONE_SETTINGS, namespace: namespace.metadata.name, labels },
      data: zoneSettings(zone),
    },
    opts,
  );
  // The tenant tier: value 0, which is also what a pod without a class gets, so project stacks
  // work before this stack has run; the platform's own classes rank above it and win when the
  // zone is full. A pod of this class never preempts another (AppClaim's priorityClassName).
  const priority = new k8s.scheduling.v1.PriorityClass(
    TENANT_PRIORITY_CLASS,
    {
      metadata: { name: TENANT_PRIORITY_CLASS, labels },
      value: 0,
      globalDefault: false,
      preemptionPolicy: "Never",
      description: "pluskube tenant workloads: lowest platform tier, never preempt other pods",
    },
    opts,
  );
  // The node's container runtime must have a handler of the same name (e.g. gVisor's runsc
  // configured as `gvisor` in containerd).
  const runtime =
    zone.runtimeClass === undefined
      ? undefined
      : new k8s.node.v1.RuntimeClass(
          `${zone.name}-runtime`,
          { metadata: { name: zone.runtimeClass, labels }, handler: zone.runtimeClass },
          opts,
        );

  return {
    platformNamespace: namespace.metadata.name,
    settingsConfigMap: settings.metadata.name,
    tenantPriorityClass: priority.metadata.name,
    runtimeClass: runtime?.metadata.name,
  };
}
