import type * as pulumi from "@pulumi/pulumi";

/** How a volume of the project lives: a claim that outlives pods, or scratch space per pod. */
export const AppVolumeKind = { persistent: "persistent", ephemeral: "ephemeral" } as const;
export type AppVolumeKind = (typeof AppVolumeKind)[keyof typeof AppVolumeKind];

/** A volume of the project that the app may mount. */
export interface AppVolume {
  /** Volume name, a DNS label. Required, plain. */
  readonly name: string;
  /** `persistent` mounts the claim `claimName`; `ephemeral` is an emptyDir per pod. Required, plain. */
  readonly kind: AppVolumeKind;
  /** Size such as `1Gi`: the emptyDir's size limit when ephemeral. Required, plain. */
  readonly size: string;
  /** PersistentVolumeClaim to mount; required when persistent (the TenantNamespace's `claimNames`). */
  readonly claimName?: pulumi.Input<string>;
}

/** Where the app's container sees one of the volumes. */
export interface AppVolumeMount {
  /** Name of a volume in `volumes`. Required, plain. */
  readonly volume: string;
  /** Absolute path in the container such as `/data`. Required, plain. */
  readonly mountPath: string;
  /** Mount read-only. Default `false`. */
  readonly readOnly?: boolean;
}

/** Health check used for readiness and liveness. */
export interface AppProbe {
  /** HTTP path to GET, such as `/healthz`. Default: a TCP connect to the app's port. */
  readonly path?: string;
  /** Seconds to wait after start before the first check. Default `0`. */
  readonly initialDelaySeconds?: number;
}

/** One environment variable read from a key of a Secret in the app's namespace. */
export interface AppSecretKeyEnv {
  /** Variable name, such as `DATABASE_URL`. Required, plain. */
  readonly name: string;
  /** Secret to read, in the app's namespace (such as a database's `database-main`). Required. */
  readonly secretName: pulumi.Input<string>;
  /** Key of that Secret, such as `DATABASE_URL`. Required, plain. */
  readonly key: string;
}

/**
 * Arguments of an AppClaim. Names, sizes, counts, paths, domains and switches are plain values,
 * validated before any child exists; `namespace`, `image`, `command`, `args`, env values,
 * `claimName`, `ingressClass` and `serviceAccountName` may be Outputs, and `image` is checked
 * when it resolves.
 */
export interface AppClaimArgs {
  /** Project the app belongs to, for labels. A DNS label. Required. */
  readonly project: string;
  /** App name: the Deployment's, Service's and Ingress's name. A DNS label of at most 40 characters. Required. */
  readonly app: string;
  /** Namespace to run in (the TenantNamespace's `namespaceName`). Required. */
  readonly namespace: pulumi.Input<string>;
  /** Container image such as `nginx:1.27` or `registry.example.org/team/app@sha256:...`. Required. */
  readonly image: pulumi.Input<string>;
  /** Entrypoint override. Default: the image's entrypoint. */
  readonly command?: pulumi.Input<pulumi.Input<string>[]>;
  /** Arguments override. Default: the image's command. */
  readonly args?: pulumi.Input<pulumi.Input<string>[]>;
  /** The app's environment. Default none. */
  readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Environment under the app's own, such as what the zone gives every app; overridden by `env`. Default none. */
  readonly baseEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The app's extra environment for this zone, overriding `env`. Default none. */
  readonly envOverrides?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Variables read from Secrets of the namespace, such as the project's database and bucket
   * credentials; the values never pass through the program. `env` and `envOverrides` override
   * them. Default none.
   */
  readonly secretKeyEnv?: readonly AppSecretKeyEnv[];
  /**
   * Secret variables: written into the Secret `<app>-secret-env` as Pulumi secrets and read by
   * the container from there; they override every other variable. A change rolls the pods
   * (a checksum of the values is an annotation of the pod template). Default none.
   */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Secrets of type `kubernetes.io/dockerconfigjson` the pods pull their image with. Default none. */
  readonly imagePullSecrets?: readonly pulumi.Input<string>[];
  /** Working directory, an absolute path. Default: the image's. */
  readonly workingDir?: string;
  /** Numeric user and group id to run as (not 0). Default: the image's user, which must not be root. */
  readonly user?: number;
  /** CPU per replica, request = limit, such as `250m`. Required. */
  readonly cpu: string;
  /** Memory per replica, request = limit, such as `512Mi`. Required. */
  readonly memory: string;
  /** Ephemeral storage per replica, request = limit, such as `1Gi`. Required. */
  readonly disk: string;
  /** Replicas, 0-50 (serverless: the most Knative may scale to, 1-50). Default `1`. */
  readonly replicas?: number;
  /** TCP port the container listens on. Default `8080`. */
  readonly port?: number;
  /** Readiness and liveness check. Default: TCP connect to `port`. */
  readonly probe?: AppProbe;
  /** The project's volumes this app may mount. Default none. */
  readonly volumes?: readonly AppVolume[];
  /** Mounts of those volumes into the container. Default none. */
  readonly mounts?: readonly AppVolumeMount[];
  /** Keep the root filesystem read-only (a writable emptyDir is mounted at /tmp). Default `true`. */
  readonly readOnlyRootFilesystem?: boolean;
  /** Run as a Knative Service that scales to zero instead of a Deployment. Default `false`. */
  readonly serverless?: boolean;
  /** Whether the zone runs Knative Serving; `serverless` is refused without it. Default `false`. */
  readonly knative?: boolean;
  /** The zone's base domain; the app is served on `<random subdomain>.<baseDomain>`. Required. */
  readonly baseDomain: string;
  /** Domains verified for the project that also serve this app. Default none. */
  readonly customDomains?: readonly string[];
  /** IngressClass of the zone's ingress controller. Default `nginx`. */
  readonly ingressClass?: pulumi.Input<string>;
  /** cert-manager ClusterIssuer for the app's certificate; empty for plain HTTP. Default `""`. */
  readonly certIssuer?: string;
  /** ServiceAccount the pods run as (its token is never mounted). Default `pluskube-project`. */
  readonly serviceAccountName?: pulumi.Input<string>;
  /** RuntimeClass of the pods, such as `gvisor`. Default: the cluster's default runtime. */
  readonly runtimeClassName?: string;
  /** PriorityClass of the pods. Default: none. */
  readonly priorityClassName?: string;
  /** Seconds a new pod must be ready before it counts as available. Default `5`. */
  readonly minReadySeconds?: number;
}
