import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppClaim } from "../../components/app-claim/index.js";
import { ObjectBucket } from "../../components/object-bucket/index.js";
import { ProjectDatabase } from "../../components/project-database/index.js";
import type { TenantNamespace } from "../../components/tenant-namespace/index.js";
import type { ClaimKindName, ClaimOutputNameOf } from "../../spec/claim-kinds.js";
import type { ClaimItem, ProjectSpec } from "../../spec/project.js";
import { replicaResources } from "../../spec/usage.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { readZoneFile, zonePostgresProvider } from "../providers.js";
import { credentialEnv } from "./credentials.js";
import type { ProjectSecrets } from "./secrets.js";

/** What every kind's composition gets: the project, its zone, its namespace and the cluster. */
export interface ClaimContext {
  readonly spec: ProjectSpec;
  readonly zone: ZoneSpec;
  readonly tenant: TenantNamespace;
  readonly kubernetes: k8s.Provider;
  /** Values that reach resources only as Pulumi secrets. */
  readonly secrets: ProjectSecrets;
  /** The project's image pull Secret, when it has private registries. */
  readonly pullSecret?: k8s.core.v1.Secret;
}

/** The stack outputs a kind publishes (its descriptor's `outputs`), each a map by item name. */
export type ClaimOutputs<K extends ClaimKindName> = {
  readonly [O in ClaimOutputNameOf<K> & string]: Record<string, pulumi.Output<unknown>>;
};

/** How one kind's items become resources of the project stack. */
export type ClaimComposer<K extends ClaimKindName> = (
  items: readonly ClaimItem<K>[],
  context: ClaimContext,
) => ClaimOutputs<K>;

/** Claims wait for the whole namespace, quota and policies included, not only its name. */
function inTenant(
  context: ClaimContext,
  providers: pulumi.ProviderResource[],
): pulumi.ComponentResourceOptions {
  return { providers, dependsOn: [context.tenant] };
}

const composeApps: ClaimComposer<"apps"> = (apps, context) => {
  const { spec, zone, tenant, kubernetes, secrets, pullSecret } = context;
  const volumes = spec.volumes.map((volume) => ({
    name: volume.name,
    kind: volume.kind,
    size: volume.size,
    claimName: tenant.claimNames[volume.name],
  }));
  const appUrls: Record<string, pulumi.Output<string>> = {};
  const appAllUrls: Record<string, pulumi.Output<string[]>> = {};
  for (const app of apps) {
    const resources = replicaResources(app, zone);
    const claim = new AppClaim(
      `app-${app.name}`,
      {
        project: spec.project,
        app: app.name,
        namespace: tenant.namespaceName,
        image: app.image,
        command: app.command,
        args: app.args,
        baseEnv: zone.appEnv,
        // The credentials of the claims the app uses, by reference to their Secrets.
        secretKeyEnv: credentialEnv(spec, app),
        env: app.env,
        // Marked secret here, where they enter the program: the state keeps them encrypted.
        secretEnv: Object.fromEntries(
          Object.entries(secrets.env[app.name] ?? {}).map(([key, value]) => [key, pulumi.secret(value)]),
        ),
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
        imagePullSecrets: pullSecret ? [pullSecret.metadata.name] : [],
      },
      // Pods made before their pull Secret would back off pulling for minutes.
      pullSecret
        ? { ...inTenant(context, [kubernetes]), dependsOn: [tenant, pullSecret] }
        : inTenant(context, [kubernetes]),
    );
    appUrls[app.name] = claim.url;
    appAllUrls[app.name] = claim.urls;
  }
  return { appUrls, appAllUrls };
};

const composeDatabases: ClaimComposer<"databases"> = (databases, context) => {
  const { spec, zone, tenant, kubernetes } = context;
  const databaseSecrets: Record<string, pulumi.Output<string>> = {};
  // Only a project with databases needs the zone's Postgres, and its password file.
  if (databases.length === 0) return { databaseSecrets };
  const postgres = zonePostgresProvider(zone);
  for (const database of databases) {
    const claim = new ProjectDatabase(
      `database-${database.name}`,
      {
        project: spec.project,
        namespace: tenant.namespaceName,
        name: database.name,
        sizeGB: database.sizeGB,
        connectionLimit: database.connectionLimit,
        maxConnectionLimit: zone.limits.connectionsPerDatabase,
        host: zone.postgres.clusterHost ?? zone.postgres.host,
        port: zone.postgres.port,
        sslmode: zone.postgres.sslmode,
      },
      inTenant(context, [kubernetes, postgres]),
    );
    databaseSecrets[database.name] = claim.secretName;
  }
  return { databaseSecrets };
};

const composeBuckets: ClaimComposer<"buckets"> = (buckets, context) => {
  const { spec, zone, tenant, kubernetes } = context;
  const bucketSecrets: Record<string, pulumi.Output<string>> = {};
  // Only a project with buckets needs the zone's S3 admin keys.
  if (buckets.length === 0) return { bucketSecrets };
  const adminAccessKeyId = pulumi.secret(readZoneFile(zone.s3.adminAccessKeyFile));
  const adminSecretAccessKey = pulumi.secret(readZoneFile(zone.s3.adminSecretKeyFile));
  for (const bucket of buckets) {
    const claim = new ObjectBucket(
      `bucket-${bucket.name}`,
      {
        project: spec.project,
        namespace: tenant.namespaceName,
        name: bucket.name,
        sizeGB: bucket.sizeGB,
        endpoint: zone.s3.endpoint,
        ...(zone.s3.clusterEndpoint === undefined ? {} : { clusterEndpoint: zone.s3.clusterEndpoint }),
        region: zone.s3.region,
        adminAccessKeyId,
        adminSecretAccessKey,
        shellMaster: zone.s3.shellMaster,
      },
      inTenant(context, [kubernetes]),
    );
    bucketSecrets[bucket.name] = claim.secretName;
  }
  return { bucketSecrets };
};

/** Persistent volumes are claims of the TenantNamespace (see `composeProject`); nothing more is made. */
const composeVolumes: ClaimComposer<"volumes"> = (_volumes, { tenant }) => ({
  volumeClaims: tenant.claimNames,
});

/** How each claim kind of the registry composes into a project stack. */
export const CLAIM_COMPOSERS: { readonly [K in ClaimKindName]: ClaimComposer<K> } = {
  apps: composeApps,
  databases: composeDatabases,
  buckets: composeBuckets,
  volumes: composeVolumes,
};
