import { isIP } from "node:net";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TenantNamespace, type ServiceEgress } from "../../components/tenant-namespace/index.js";
import type { ProjectSpec } from "../../spec/project.js";
import {
  CLAIM_KIND_NAMES,
  OUTSIDE_CLUSTER_KINDS,
  type ClaimKindName,
  type ClaimOutputName,
} from "../../spec/claim-kinds.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { zoneKubernetesProvider, zoneNamespaceProvider } from "../providers.js";
import { CLAIM_COMPOSERS, type ClaimComposer } from "./claims.js";
import { namespaceQuota } from "./namespace-quota.js";
import { registryPullSecret } from "./registry-credentials.js";
import { NO_PROJECT_SECRETS, secretObjectCount, type ProjectSecrets } from "./secrets.js";

/**
 * Namespaces Knative's data path comes from: its activator and the Kourier gateway (Knative's
 * default networking layer). Zones with another layer list its namespace as `ingressNamespace`.
 */
export const KNATIVE_NAMESPACES = ["knative-serving", "kourier-system"] as const;

/**
 * What a project stack reports: its namespace, and per claim kind the outputs its descriptor
 * names (where apps answer, where the claims' credentials are), each by item name.
 */
export type ProjectOutputs = { readonly namespace: pulumi.Output<string> } & {
  readonly [O in ClaimOutputName]: Record<string, pulumi.Output<unknown>>;
};

/** `10.0.3.7/32` for an address literal that pods must reach past the egress policy, else nothing. */
function addressRange(host: string, port: number): ServiceEgress[] {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const version = isIP(bare);
  if (version === 0 || bare.startsWith("127.") || bare === "::1") return [];
  return [{ cidr: `${bare}/${version === 4 ? 32 : 128}`, port }];
}

/**
 * The zone's Postgres and S3 as pods reach them, when given as addresses: they often sit on
 * private networks that internet egress leaves closed. Host names cannot be allowed by a
 * NetworkPolicy; a zone that names them so reaches them through its own network setup.
 */
export function zoneServiceEgress(zone: ZoneSpec): ServiceEgress[] {
  const s3 = new URL(zone.s3.clusterEndpoint ?? zone.s3.endpoint);
  const s3Port = Number(s3.port || (s3.protocol === "https:" ? 443 : 80));
  return [
    ...addressRange(zone.postgres.clusterHost ?? zone.postgres.host, zone.postgres.port),
    ...addressRange(s3.hostname, s3Port),
  ];
}

/**
 * The program of a project stack: one TenantNamespace, then the project's apps, databases and
 * buckets in it (its persistent volumes are claims of the TenantNamespace). Providers for the
 * zone's cluster and Postgres are made here from the zone file and handed to the components.
 * The spec comes parsed (`parseProjectSpec`): the stack's config and the service each parse it
 * where it enters. `secrets` are the apps' secret variables and the registries' credentials,
 * which reach resources only as Pulumi secrets.
 */
export function composeProject(
  spec: ProjectSpec,
  zone: ZoneSpec,
  secrets: ProjectSecrets = NO_PROJECT_SECRETS,
): ProjectOutputs {
  if (spec.zone !== zone.name) {
    throw new Error(
      `project ${spec.project} is for zone '${spec.zone}', but the zone given is '${zone.name}'`,
    );
  }
  const project = spec.project;
  const kubernetes: k8s.Provider = zoneKubernetesProvider(zone);

  const tenant = new TenantNamespace(
    project,
    {
      project,
      namespaceProvider: zoneNamespaceProvider(zone),
      quota: namespaceQuota(spec, zone, secretObjectCount(spec, secrets)),
      containerDefaults: zone.chunk,
      ingressNamespaces: [zone.ingressNamespace, ...(zone.knative ? KNATIVE_NAMESPACES : [])],
      internetEgress: spec.internetEgress,
      zoneRanges: zone.addressRanges,
      dnsAddresses: zone.dnsAddresses,
      serviceEgress: OUTSIDE_CLUSTER_KINDS.some(({ kind }) => spec[kind].length > 0)
        ? zoneServiceEgress(zone)
        : [],
      volumes: spec.volumes
        .filter((volume) => volume.kind === "persistent")
        .map((volume) => ({ name: volume.name, size: volume.size })),
      storageClass: zone.storageClass,
    },
    { providers: [kubernetes] },
  );
  const outputs: Record<string, unknown> = { namespace: tenant.namespaceName };
  const pullSecret = registryPullSecret(project, secrets.registries, tenant, kubernetes);
  const context = { spec, zone, tenant, kubernetes, secrets, pullSecret };
  for (const kind of CLAIM_KIND_NAMES) {
    const compose = CLAIM_COMPOSERS[kind] as ClaimComposer<ClaimKindName>;
    Object.assign(outputs, compose(spec[kind], context));
  }
  return outputs as ProjectOutputs;
}
