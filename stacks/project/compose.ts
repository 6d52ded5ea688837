import { isIP } from "node:net";
import type * as k8s from "@pulumi/kubernetes";
import type * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { AppClaim } from "../../components/app-claim/index.js";
import { ObjectBucket } from "../../components/object-bucket/index.js";
import { ProjectDatabase } from "../../components/project-database/index.js";
import { TenantNamespace, type ServiceEgress } from "../../components/tenant-namespace/index.js";
import { parseProjectSpec, type ProjectSpec, type ProjectSpecInput } from "../../spec/project.js";
import { replicaResources } from "../../spec/usage.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { readZoneFile, zoneKubernetesProvider, zonePostgresProvider } from "../providers.js";
import { namespaceQuota } from "./namespace-quota.js";

/**
 * Namespaces Knative's data path comes from: its activator and the Kourier gateway (Knative's
 * default networking layer). Zones with another layer list its namespace as `ingressNamespace`.
 */
export const KNATIVE_NAMESPACES = ["knative-serving", "kourier-system"] as const;

/** What a project stack reports: where its apps answer and where its credentials are. */
export interface ProjectOutputs {
  /** The project's namespace. */
  readonly namespace: pulumi.Output<string>;
  /** Each app's address on its random subdomain, by app name. */
  readonly appUrls: Record<string, pulumi.Output<string>>;
  /** Every address of each app (subdomain, then custom domains), by app name. */
  readonly appAllUrls: Record<string, pulumi.Output<string[]>>;
  /** Name of the Secret with each database's connection settings, by database name. */
  readonly databaseSecrets: Record<string, pulumi.Output<string>>;
  /** Name of the Secret with each bucket's endpoint and keys, by bucket name. */
  readonly bucketSecrets: Record<string, pulumi.Output<string>>;
  /** Name of each persistent volume's claim, by volume name. */
  readonly volumeClaims: Record<string, pulumi.Output<string>>;
}

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
  const s3 = new URL(zone.s3.endpoint);
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
 */
export function composeProject(input: ProjectSpec | ProjectSpecInput, zone: ZoneSpec): ProjectOutputs {
  const spec = parseProjectSpec(input);
  if (spec.zone !== zone.name) {
    throw new Error(
      `project ${spec.project} is for zone '${spec.zone}', but the zone given is '${zone.name}'`,
    );
  }
  const project = spec.project;
  const kubernetes: k8s.Provider = zoneKubernetesProvider(zone);
  // Only a project with databases needs the zone's Postgres, and its password file.
  const postgres: postgresql.Provider | undefined =
    spec.databases.length > 0 ? zonePostgresProvider(zone) : undefined;

  const tenant = new TenantNamespace(
    project,
    {
      project,
      quota: namespaceQuota(spec, zone),
      containerDefaults: zone.chunk,
      ingressNamespaces: [zone.ingressNamespace, ...(zone.knative ? KNATIVE_NAMESPACES : [])],
      internetEgress: spec.internetEgress,
      serviceEgress: spec.databases.length + spec.buckets.length > 0 ? zoneServiceEgress(zone) : [],
      volumes: spec.volumes
        .filter((volume) => volume.kind === "persistent")
        .map((volume) => ({ name: volume.name, size: volume.size })),
      storageClass: zone.storageClass,
    },
    { providers: [kubernetes] },
  );
  const namespace = tenant.namespaceName;
  // Claims wait for the whole namespace, quota and policies included, not only its name.
  const inTenant = (providers: pulumi.ProviderResource[]) => ({ providers, dependsOn: [tenant] });

  const volumes = spec.volumes.map((volume) => ({
    name: volume.name,
    kind: volume.kind,
    size: volume.size,
    claimName: tenant.claimNames[volume.name],
  }));
  const appUrls: Record<string, pulumi.Output<string>> = {};
  const appAllUrls: Record<string, pulumi.Output<string[]>> = {};
  for (const app of spec.apps) {
    const resources = replicaResources(app, zone);
    const claim = new AppClaim(
      `app-${app.name}`,
      {
        project,
        app: app.name,
        namespace,
        image: app.image,
        command: app.command,
        args: app.args,
        baseEnv: zone.appEnv,
        env: app.env,
        // The spec's `zoneEnv` is the app's env per zone; this zone's entry overrides `env`.
        envOverrides: app.zoneEnv[zone.name],
        workingDir: app.workingDir,
        user: app.user,
        cpu: resources.cpu,
        memory: resources.memory,
        disk: resources.disk,
        replicas: app.replicas,
        port: app.port,
        probe: app.probe,
        volumes,
        mounts: app.volumes,
        readOnlyRootFilesystem: app.readOnlyRootFilesystem,
        serverless: app.serverless,
        knative: zone.knative,
        baseDomain: zone.baseDomain,
        customDomains: app.customDomains,
        ingressClass: zone.ingressClass,
        certIssuer: zone.certIssuer,
        serviceAccountName: tenant.serviceAccountName,
        runtimeClassName: zone.runtimeClass,
      },
      inTenant([kubernetes]),
    );
    appUrls[app.name] = claim.url;
    appAllUrls[app.name] = claim.urls;
  }

  const databaseSecrets: Record<string, pulumi.Output<string>> = {};
  for (const database of spec.databases) {
    const claim = new ProjectDatabase(
      `database-${database.name}`,
      {
        project,
        namespace,
        name: database.name,
        sizeGB: database.sizeGB,
        connectionLimit: database.connectionLimit,
        host: zone.postgres.clusterHost ?? zone.postgres.host,
        port: zone.postgres.port,
        sslmode: zone.postgres.sslmode,
      },
      inTenant(postgres ? [kubernetes, postgres] : [kubernetes]),
    );
    databaseSecrets[database.name] = claim.secretName;
  }

  const bucketSecrets: Record<string, pulumi.Output<string>> = {};
  if (spec.buckets.length > 0) {
    const adminAccessKeyId = pulumi.secret(readZoneFile(zone.s3.adminAccessKeyFile));
    const adminSecretAccessKey = pulumi.secret(readZoneFile(zone.s3.adminSecretKeyFile));
    for (const bucket of spec.buckets) {
      const claim = new ObjectBucket(
        `bucket-${bucket.name}`,
        {
          project,
          namespace,
          name: bucket.name,
          sizeGB: bucket.sizeGB,
          endpoint: zone.s3.endpoint,
          region: zone.s3.region,
          adminAccessKeyId,
          adminSecretAccessKey,
          shellMaster: zone.s3.shellMaster,
        },
        inTenant([kubernetes]),
      );
      bucketSecrets[bucket.name] = claim.secretName;
    }
  }

  return {
    namespace,
    appUrls,
    appAllUrls,
    databaseSecrets,
    bucketSecrets,
    volumeClaims: tenant.claimNames,
  };
}
