/**
 * Typed fixtures for the policy tests: each factory returns a resource that every rule accepts,
 * and takes overrides for the parts a test breaks. Shapes follow @pulumi/kubernetes' and
 * @pulumi/postgresql's argument types, unwrapped as the policy SDK sees them.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as postgresql from "@pulumi/postgresql";
import type { Unwrap } from "@pulumi/pulumi";
import type { FakeResource } from "./harness.js";

type Input<T> = Unwrap<NonNullable<T>>;
export type ContainerProps = Input<k8s.types.input.core.v1.Container>;
export type PodSpecProps = Input<k8s.types.input.core.v1.PodSpec>;
export type SecurityContextProps = Input<k8s.types.input.core.v1.SecurityContext>;
export type PodSecurityContextProps = Input<k8s.types.input.core.v1.PodSecurityContext>;
export type ObjectMetaProps = Input<k8s.types.input.meta.v1.ObjectMeta>;
export type IngressSpecProps = Input<k8s.types.input.networking.v1.IngressSpec>;
export type NetworkPolicySpecProps = Input<k8s.types.input.networking.v1.NetworkPolicySpec>;
export type ServiceSpecProps = Input<k8s.types.input.core.v1.ServiceSpec>;
export type RoleProps = Input<postgresql.RoleArgs>;

export const NAMESPACE = "shop";
export const BASE_DOMAIN = "zone.example.org";
export const VERIFIED_DOMAIN = "shop.example.com";
export const APP_HOST = `brave-otter.${BASE_DOMAIN}`;

export const TYPES = {
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  pod: "kubernetes:core/v1:Pod",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  knativeService: "kubernetes:serving.knative.dev/v1:Service",
  service: "kubernetes:core/v1:Service",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  postgresRole: "postgresql:index/role:Role",
} as const;

export function metadata(name: string, overrides: Partial<ObjectMetaProps> = {}): ObjectMetaProps {
  return { name, namespace: NAMESPACE, labels: { "pluskube.dev/project": NAMESPACE }, ...overrides };
}

/** The security context AppClaim gives every container: restricted, field by field. */
export function securityContext(overrides: Partial<SecurityContextProps> = {}): SecurityContextProps {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
    ...overrides,
  };
}

/** A container with requests = limits of one chunk (250m, 512Mi, 1Gi). */
export function container(overrides: Partial<ContainerProps> = {}): ContainerProps {
  return {
    name: "app",
    image: "ghcr.io/shop/web:1.0",
    ports: [{ containerPort: 8080, name: "http" }],
    resources: {
      requests: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "1Gi" },
      limits: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "1Gi" },
    },
    securityContext: securityContext(),
    ...overrides,
  };
}

export function podSecurityContext(
  overrides: Partial<PodSecurityContextProps> = {},
): PodSecurityContextProps {
  return { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, ...overrides };
}

export function podSpec(overrides: Partial<PodSpecProps> = {}): PodSpecProps {
  return {
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(),
    containers: [container()],
    ...overrides,
  };
}

const LABELS = { "pluskube.dev/project": NAMESPACE, "pluskube.dev/app": "web" };

/** The kinds that carry a pod, by the name tests use. */
export const WORKLOADS = ["Deployment", "StatefulSet", "Pod", "Job", "CronJob", "Knative Service"] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface WorkloadOptions {
  readonly name?: string;
  readonly spec?: PodSpecProps;
  readonly podMetadata?: ObjectMetaProps;
  readonly replicas?: number;
}

export function deployment(options: WorkloadOptions = {}): FakeResource {
  const name = options.name ?? "web";
  return {
    type: TYPES.deployment,
    name,
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata(name),
      spec: {
        replicas: options.replicas ?? 1,
        selector: { matchLabels: LABELS },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: { metadata: options.podMetadata ?? { labels: LABELS }, spec: options.spec ?? podSpec() },
      },
    },
  };
}

export function statefulSet(options: WorkloadOptions = {}): FakeResource {
  const name = options.name ?? "db";
  return {
    type: TYPES.statefulSet,
    name,
    props: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: metadata(name),
      spec: {
        replicas: options.replicas ?? 1,
        serviceName: name,
        selector: { matchLabels: LABELS },
        template: { metadata: options.podMetadata ?? { labels: LABELS }, spec: options.spec ?? podSpec() },
      },
    },
  };
}

export function pod(options: WorkloadOptions = {}): FakeResource {
  const name = options.name ?? "once";
  return {
    type: TYPES.pod,
    name,
    props: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { ...metadata(name), ...options.podMetadata },
      spec: options.spec ?? podSpec({ restartPolicy: "Never" }),
    },
  };
}

export function job(options: WorkloadOptions & { parallelism?: number } = {}): FakeResource {
  const name = options.name ?? "migrate";
  return {
    type: TYPES.job,
    name,
    props: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: metadata(name),
      spec: {
        parallelism: options.parallelism,
        template: {
          metadata: options.podMetadata ?? { labels: LABELS },
          spec: options.spec ?? podSpec({ restartPolicy: "Never" }),
        },
      },
    },
  };
}

export function cronJob(options: WorkloadOptions = {}): FakeResource {
  const name = options.name ?? "nightly";
  return {
    type: TYPES.cronJob,
    name,
    props: {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: metadata(name),
      spec: {
        schedule: "0 3 * * *",
        jobTemplate: {
          spec: {
            template: {
              metadata: options.podMetadata ?? { labels: LABELS },
              spec: options.spec ?? podSpec({ restartPolicy: "Never" }),
            },
          },
        },
      },
    },
  };
}

/** A Knative Service as AppClaim makes it for a serverless app (a CustomResource). */
export function knativeService(options: WorkloadOptions & { maxScale?: string } = {}): FakeResource {
  const name = options.name ?? "api";
  const annotations =
    options.maxScale === undefined ? {} : { "autoscaling.knative.dev/max-scale": options.maxScale };
  return {
    type: TYPES.knativeService,
    name,
    props: {
      apiVersion: "serving.knative.dev/v1",
      kind: "Service",
      metadata: metadata(name),
      spec: {
        template: {
          metadata: options.podMetadata ?? { labels: LABELS, annotations },
          spec: options.spec ?? podSpec(),
        },
      },
    },
  };
}

/** A workload of the given kind running the given pod. */
export function workload(kind: Workload, options: WorkloadOptions = {}): FakeResource {
  switch (kind) {
    case "Deployment":
      return deployment(options);
    case "StatefulSet":
      return statefulSet(options);
    case "Pod":
      return pod(options);
    case "Job":
      return job(options);
    case "CronJob":
      return cronJob(options);
    case "Knative Service":
      return knativeService(options);
  }
}

/** Where a workload kind keeps its pod spec, as messages name it. */
export const POD_SPEC_PATH: Record<Workload, string> = {
  Deployment: "spec.template.spec",
  StatefulSet: "spec.template.spec",
  Pod: "spec",
  Job: "spec.template.spec",
  CronJob: "spec.jobTemplate.spec.template.spec",
  "Knative Service": "spec.template.spec",
};

export function namespace(name = NAMESPACE): FakeResource {
  return {
    type: TYPES.namespace,
    name: "shop-namespace",
    props: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name,
        labels: {
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
  };
}

export function service(spec: Partial<ServiceSpecProps> = {}): FakeResource {
  return {
    type: TYPES.service,
    name: "web-service",
    props: {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata("web"),
      spec: {
        type: "ClusterIP",
        selector: LABELS,
        ports: [{ port: 80, targetPort: 8080, name: "http" }],
        ...spec,
      },
    },
  };
}

export function ingress(
  spec: Partial<IngressSpecProps> = {},
  metadataOverrides: Partial<ObjectMetaProps> = {},
): FakeResource {
  const backend = { service: { name: "web", port: { number: 80 } } };
  const rule = (host: string) => ({
    host,
    http: { paths: [{ path: "/", pathType: "Prefix", backend }] },
  });
  return {
    type: TYPES.ingress,
    name: "web-ingress",
    props: {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: metadata("web", {
        annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" },
        ...metadataOverrides,
      }),
      spec: {
        ingressClassName: "nginx",
        rules: [rule(APP_HOST), rule(VERIFIED_DOMAIN)],
        tls: [{ hosts: [APP_HOST, VERIFIED_DOMAIN], secretName: "web-tls" }],
        ...spec,
      },
    },
  };
}

/** The default-deny policy TenantNamespace makes. */
export function networkPolicy(
  spec: Partial<NetworkPolicySpecProps> = {},
  metadataOverrides: Partial<ObjectMetaProps> = {},
): FakeResource {
  return {
    type: TYPES.networkPolicy,
    name: "shop-default-deny",
    props: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("default-deny", metadataOverrides),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...spec },
    },
  };
}

/** A NetworkPolicy that lets the namespace's pods talk to each other. */
export function sameNamespacePolicy(): FakeResource {
  return {
    type: TYPES.networkPolicy,
    name: "shop-same-namespace",
    props: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("same-namespace"),
      spec: {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    },
  };
}

export function pvc(storage = "10Gi", name = "data"): FakeResource {
  return {
    type: TYPES.pvc,
    name: `${name}-pvc`,
    props: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: metadata(name),
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "local-path",
        resources: { requests: { storage } },
      },
    },
  };
}

/** The Secret a database or bucket claim exposes, labelled and annotated with its size. */
export function claimSecret(
  claim: "database" | "bucket",
  sizeGB: string | undefined,
  name: string = claim,
): FakeResource {
  return {
    type: TYPES.secret,
    name: `${name}-secret`,
    props: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: metadata(name, {
        labels: { "pluskube.dev/project": NAMESPACE, "pluskube.dev/claim": claim },
        annotations: sizeGB === undefined ? {} : { "pluskube.dev/size-gb": sizeGB },
      }),
      type: "Opaque",
      stringData: { DATABASE_URL: "postgres://shop@db/shop" },
    },
  };
}

export function configMap(metadataOverrides: Partial<ObjectMetaProps> = {}): FakeResource {
  return {
    type: TYPES.configMap,
    name: "settings",
    props: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata("settings", metadataOverrides),
      data: {},
    },
  };
}

const READ_PODS = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }];

export function role(): FakeResource {
  return {
    type: TYPES.role,
    name: "shop-deployer",
    props: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata("deployer"),
      rules: READ_PODS,
    },
  };
}

export function clusterRole(): FakeResource {
  return {
    type: TYPES.clusterRole,
    name: "shop-cluster-reader",
    props: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "shop-cluster-reader" },
      rules: READ_PODS,
    },
  };
}

/** A HorizontalPodAutoscaler of the `web` Deployment. */
export function autoscaler(maxReplicas: number): FakeResource {
  return {
    type: TYPES.hpa,
    name: "web-hpa",
    props: {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: metadata("web"),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 1,
        maxReplicas,
      },
    },
  };
}

/** The login role ProjectDatabase makes. */
export function postgresRole(overrides: Partial<RoleProps> = {}): FakeResource {
  return {
    type: TYPES.postgresRole,
    name: "shop-db-role",
    props: {
      name: "shop_db",
      login: true,
      superuser: false,
      createDatabase: false,
      createRole: false,
      replication: false,
      bypassRowLevelSecurity: false,
      inherit: true,
      connectionLimit: 20,
      password: "secret",
      ...overrides,
    },
  };
}
