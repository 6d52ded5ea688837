import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Hard limits of a project's ResourceQuota. Requests and limits get the same value because
 * every pluskube container asks for requests = limits. Quantities are Kubernetes quantities
 * (`"2"`, `"1500m"`, `"4Gi"`); `"0"` is allowed and means "none at all".
 */
export interface TenantQuota {
  /** `requests.cpu` and `limits.cpu`. Required. */
  readonly cpu: string;
  /** `requests.memory` and `limits.memory`. Required. */
  readonly memory: string;
  /** `requests.ephemeral-storage` and `limits.ephemeral-storage`. Required. */
  readonly ephemeralStorage: string;
  /** `requests.storage`: total size of the persistent volume claims. Required. */
  readonly storage: string;
  /** `pods`. Required. */
  readonly pods: number;
  /** `services` (ClusterIP only: node ports and load balancers are always 0). Required. */
  readonly services: number;
  /** `persistentvolumeclaims`. Required. */
  readonly persistentVolumeClaims: number;
  /** `secrets`. Required. */
  readonly secrets: number;
  /** `configmaps`. Required. */
  readonly configMaps: number;
  /**
   * `count/ingresses.networking.k8s.io`: the apps' Ingresses and, in a zone with a certificate
   * issuer, the ones its HTTP-01 solver adds while it proves a host. Required.
   */
  readonly ingresses: number;
  /** `count/deployments.apps`: the apps that are not serverless. Required. */
  readonly deployments: number;
  /**
   * `count/services.serving.knative.dev` and `count/domainmappings.serving.knative.dev`, for a
   * zone that runs Knative Serving. Default none: elsewhere the kinds do not exist, and a quota
   * on a kind the cluster does not serve would hold up the quota's other counts.
   */
  readonly knative?: KnativeQuota;
}

/** Counts of a project's Knative objects, in a zone that runs Knative Serving. */
export interface KnativeQuota {
  /** `count/services.serving.knative.dev`: the serverless apps. Required. */
  readonly services: number;
  /** `count/domainmappings.serving.knative.dev`: one per host of each serverless app. Required. */
  readonly domainMappings: number;
}

/** What a container is charged when it names no resources itself (the LimitRange defaults). */
export interface ContainerDefaults {
  /** CPU request and limit. Default `250m`. */
  readonly cpu: string;
  /** Memory request and limit. Default `512Mi`. */
  readonly memory: string;
  /** Ephemeral storage request and limit. Default `1Gi`. */
  readonly disk: string;
}

/** A persistent volume of the project, made as a PersistentVolumeClaim of the same name. */
export interface TenantVolume {
  /** Volume name, a DNS label; also the claim's name. Required, plain. */
  readonly name: string;
  /** Requested size such as `10Gi`. Required, plain. */
  readonly size: string;
}

/** A destination outside the cluster that apps may reach even without internet egress. */
export interface ServiceEgress {
  /** Address range such as `10.0.3.7/32`. Required, plain. */
  readonly cidr: string;
  /** TCP port. Required, plain. */
  readonly port: number;
}

/**
 * Arguments of a TenantNamespace. Every field is plain (known while the program runs) except
 * `storageClass`, which is checked when it resolves: the namespace's name, its quota and its
 * policies must be known to be validated and to be the same on every run.
 */
export interface TenantNamespaceArgs {
  /** Project name; also the namespace's name. A DNS label. Required. */
  readonly project: string;
  /**
   * Provider the Namespace alone is created through, made by `createOnlyKubernetesProvider` for
   * the same cluster as the other children's provider. Required: its create fails when the
   * namespace already exists, so the component never takes over (and on destroy never deletes)
   * a namespace it did not create.
   */
  readonly namespaceProvider: k8s.Provider;
  /** Hard limits of the namespace's ResourceQuota. Required. */
  readonly quota: TenantQuota;
  /** LimitRange defaults charged to containers that name no resources. Default one chunk: 250m, 512Mi, 1Gi. */
  readonly containerDefaults?: ContainerDefaults;
  /** Namespaces whose pods may connect in (the zone's ingress controller). Default `["ingress-nginx"]`. */
  readonly ingressNamespaces?: readonly string[];
  /** Whether pods may open connections to public internet addresses. Default `true`. */
  readonly internetEgress?: boolean;
  /**
   * The zone's own address ranges (its nodes, API server and storage hosts), which internet
   * egress leaves out as it does private ranges. Default none. Plain.
   */
  readonly zoneRanges?: readonly string[];
  /**
   * Addresses of a cluster DNS outside the pod network (a node-local cache), allowed on port 53
   * besides kube-system's pods. Default none. Plain.
   */
  readonly dnsAddresses?: readonly string[];
  /** Zone services (Postgres, S3) reachable in any case, by address and port. Default none. */
  readonly serviceEgress?: readonly ServiceEgress[];
  /** Persistent volumes of the project, one PersistentVolumeClaim each. Default none. */
  readonly volumes?: readonly TenantVolume[];
  /** StorageClass of the volumes' claims. Default: the cluster's default class. */
  readonly storageClass?: pulumi.Input<string>;
}
