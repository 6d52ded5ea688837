import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { projectLabels } from "../labels.js";
import { checkedInput } from "../validation.js";
import type { ContainerDefaults, TenantNamespaceArgs, TenantQuota } from "./args.js";
import {
  defaultDenySpec,
  dnsSpec,
  ingressControllerSpec,
  internetSpec,
  projectRoleRules,
  sameNamespaceSpec,
  serviceEgressSpec,
} from "./isolation.js";
import { validateTenantNamespaceArgs } from "./validate.js";
import { isDnsLabel } from "../../spec/names.js";

export const TENANT_NAMESPACE_TYPE = "pluskube:index:TenantNamespace";

/** Name of the ServiceAccount apps run as and project tokens are issued for. */
export const PROJECT_SERVICE_ACCOUNT = "pluskube-project";

/** One chunk of the local zone, charged to a container that names no resources. */
export const DEFAULT_CONTAINER_RESOURCES: ContainerDefaults = { cpu: "250m", memory: "512Mi", disk: "1Gi" };

/** Pod Security admission labels: the `restricted` profile enforced, audited and warned about. */
export function podSecurityLabels(): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "audit", "warn"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = "restricted";
    labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
  }
  return labels;
}

/** The ResourceQuota's `hard` map; node ports and load balancers are always refused. */
export function quotaHard(quota: TenantQuota): Record<string, string> {
  return {
    "requests.cpu": quota.cpu,
    "limits.cpu": quota.cpu,
    "requests.memory": quota.memory,
    "limits.memory": quota.memory,
    "requests.ephemeral-storage": quota.ephemeralStorage,
    "limits.ephemeral-storage": quota.ephemeralStorage,
    "requests.storage": quota.storage,
    pods: String(quota.pods),
    services: String(quota.services),
    persistentvolumeclaims: String(quota.persistentVolumeClaims),
    secrets: String(quota.secrets),
    configmaps: String(quota.configMaps),
    "count/ingresses.networking.k8s.io": String(quota.ingresses),
    "count/deployments.apps": String(quota.deployments),
    ...(quota.knative === undefined
      ? {}
      : {
          "count/services.serving.knative.dev": String(quota.knative.services),
          "count/domainmappings.serving.knative.dev": String(quota.knative.domainMappings),
        }),
    "services.nodeports": "0",
    "services.loadbalancers": "0",
  };
}

/**
 * A project's namespace in a zone and everything that fences it in: Pod Security `restricted`,
 * a ResourceQuota, LimitRange defaults, default-deny network policies with the few paths a
 * project needs, a ServiceAccount for its apps and tokens, and the persistent volumes' claims.
 */
export class TenantNamespace extends pulumi.ComponentResource {
  /** The namespace's name (the project's name). */
  public readonly namespaceName: pulumi.Output<string>;
  /** ServiceAccount the project's apps run as. */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** Name of each persistent volume's PersistentVolumeClaim, by volume name. */
  public readonly claimNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: TenantNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TENANT_NAMESPACE_TYPE, name, {}, opts);
    validateTenantNamespaceArgs(args, this);

    const project = args.project;
    const containerDefaults = args.containerDefaults ?? DEFAULT_CONTAINER_RESOURCES;
    const ingressNamespaces = args.ingressNamespaces ?? ["ingress-nginx"];
    const internetEgress = args.internetEgress ?? true;
    const serviceEgress = args.serviceEgress ?? [];
    const volumes = args.volumes ?? [];
    const labels = projectLabels(project);
    const child = { parent: this };

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: project, labels: { ...labels, ...podSecurityLabels() } } },
      // Created, never adopted: see createOnlyKubernetesProvider. A namespace that already
      // exists fails the create, and what fails to be created is never in the state, so a
      // destroy cannot delete it either.
      { ...child, provider: args.namespaceProvider },
    );
    // Every other child names the namespace through this output, so it waits for the namespace.
    const ns = namespace.metadata.name;
    const meta = (objectName: string) => ({ name: objectName, namespace: ns, labels });

    const quota = new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      { metadata: meta("pluskube-quota"), spec: { hard: quotaHard(args.quota) } },
      child,
    );

    // requests = limits so that a container without resources is charged, and fits, one chunk.
    const resources = {
      cpu: containerDefaults.cpu,
      memory: containerDefaults.memory,
      "ephemeral-storage": containerDefaults.disk,
    };
    new k8s.core.v1.LimitRange(
      `${name}-limits`,
      {
        metadata: meta("pluskube-defaults"),
        spec: { limits: [{ type: "Container", default: resources, defaultRequest: resources }] },
      },
      child,
    );

    const policies: [string, k8s.types.input.networking.v1.NetworkPolicySpec][] = [
      ["default-deny", defaultDenySpec()],
      ["allow-same-namespace", sameNamespaceSpec()],
      ["allow-dns", dnsSpec(args.dnsAddresses ?? [])],
    ];
    if (ingressNamespaces.length > 0) {
      policies.push(["allow-ingress-controller", ingressControllerSpec(ingressNamespaces)]);
    }
    if (internetEgress) policies.push(["allow-internet", internetSpec(args.zoneRanges ?? [])]);
    if (serviceEgress.length > 0) policies.push(["allow-zone-services", serviceEgressSpec(serviceEgress)]);
    for (const [role, spec] of policies) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${role}`,
        { metadata: meta(`pluskube-${role}`), spec },
        child,
      );
    }

    // Apps run as this account without its token; project tokens are short-lived tokens
    // requested for it (TokenRequest), so they carry exactly the Role below.
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-serviceaccount`,
      { metadata: meta(PROJECT_SERVICE_ACCOUNT), automountServiceAccountToken: false },
      child,
    );
    const role = new k8s.rbac.v1.Role(
      `${name}-role`,
      { metadata: meta(PROJECT_SERVICE_ACCOUNT), rules: projectRoleRules() },
      child,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-rolebinding`,
      {
        metadata: meta(PROJECT_SERVICE_ACCOUNT),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: ns }],
      },
      child,
    );

    const storageClass =
      args.storageClass === undefined
        ? undefined
        : checkedInput(
            args.storageClass,
            (value) =>
              isDnsLabel(value)
                ? undefined
                : `storageClass must be a DNS label, got ${JSON.stringify(value)}`,
            this,
          );
    this.claimNames = {};
    for (const volume of volumes) {
      const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-volume-${volume.name}`,
        {
          metadata: {
            ...meta(volume.name),
            // The provider would wait for the claim to bind, which a WaitForFirstConsumer class
            // only does once a pod uses it; the app's Deployment await reports a claim that never
            // binds. https://github.com/pulumi/pulumi-kubernetes/issues/895
            annotations: { "pulumi.com/skipAwait": "true" },
          },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: storageClass,
            resources: { requests: { storage: volume.size } },
          },
        },
        // A claim added in the same update that raises the quota would otherwise be refused
        // against the old quota.
        { ...child, dependsOn: [quota] },
      );
      this.claimNames[volume.name] = claim.metadata.name;
    }

    this.namespaceName = ns;
    this.serviceAccountName = serviceAccount.metadata.name;
    this.registerOutputs({
      namespaceName: this.namespaceName,
      serviceAccountName: this.serviceAccountName,
      claimNames: this.claimNames,
    });
  }
}
