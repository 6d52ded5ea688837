import type { z } from "zod";
import { AppSpecSchema, BucketSpecSchema, DatabaseSpecSchema, VolumeSpecSchema } from "./items.js";
import { requireBytes } from "./quantity.js";
import { replicaUsage, volumeGB, type Usage } from "./usage.js";
import type { LimitIssue } from "./errors.js";
import type { ZoneLimits, ZoneSpec } from "./zone.js";

/**
 * What a kind of claim is, in one place: the spec schema, the service's collections, request
 * bodies, answers and OpenAPI document, the stack's outputs and the policy pack's tally all read
 * this registry. How a kind composes into a stack is its entry in `stacks/project/claims.ts`,
 * which the compiler holds to this registry.
 */
export interface ClaimKindDescriptor<
  Schema extends z.ZodObject = z.ZodObject,
  Outputs extends Readonly<Record<string, string>> = Readonly<Record<string, string>>,
> {
  /** The kind in the singular, as messages and the OpenAPI document name one item. */
  readonly singular: string;
  /** The item schema inside a ProjectSpec; request bodies derive from it. */
  readonly schema: Schema;
  /** What one item takes from its zone. */
  usage(item: z.output<Schema>, zone: ZoneSpec): Partial<Usage>;
  /**
   * Stack outputs that describe items of this kind, each a map by item name: the field an
   * item's answer shows it under → the stack output's name.
   */
  readonly outputs: Outputs;
  /**
   * For a claim that lives outside the cluster (a database on the zone's Postgres, a bucket on
   * its S3): the dimension of its size in GB. Its Kubernetes Secret carries the claim label
   * with the kind's singular and its size, which is how the policy pack counts it.
   */
  readonly outsideCluster?: "databaseGB" | "objectGB";
  /**
   * What of an item its zone's limits refuse (sizes below the smallest, connections above the
   * most), with paths inside the item; nothing when the kind has no such limits.
   */
  limitIssues?(item: z.output<Schema>, limits: ZoneLimits): LimitIssue[];
}

/** An issue when `value` is below the zone's smallest, naming the limit. */
function smallest(
  path: string,
  value: number,
  limit: keyof ZoneLimits,
  least: number,
  shown: string | number,
): LimitIssue[] {
  return value < least
    ? [
        {
          path,
          message: `must be at least ${shown}, the zone's limits.${limit}`,
          limit: `limits.${limit}`,
          allowed: shown,
        },
      ]
    : [];
}

/** Keeps a descriptor's schema and output names as precise as written. */
function claimKind<Schema extends z.ZodObject, const Outputs extends Readonly<Record<string, string>>>(
  descriptor: ClaimKindDescriptor<Schema, Outputs>,
): ClaimKindDescriptor<Schema, Outputs> {
  return descriptor;
}

export const CLAIM_KINDS = {
  apps: claimKind({
    singular: "app",
    schema: AppSpecSchema,
    usage: (app, zone) => {
      const replica = replicaUsage(app, zone);
      return {
        chunks: replica.chunks * app.replicas,
        cpuMillis: replica.cpuMillis * app.replicas,
        memoryBytes: replica.memoryBytes * app.replicas,
        diskBytes: replica.diskBytes * app.replicas,
      };
    },
    outputs: { url: "appUrls", urls: "appAllUrls" },
  }),
  databases: claimKind({
    singular: "database",
    schema: DatabaseSpecSchema,
    usage: (database) => ({ databaseGB: database.sizeGB }),
    outputs: { secret: "databaseSecrets" },
    outsideCluster: "databaseGB",
    limitIssues: (database, limits) => [
      ...smallest(
        "sizeGB",
        database.sizeGB,
        "smallestDatabaseGB",
        limits.smallestDatabaseGB,
        limits.smallestDatabaseGB,
      ),
      ...((database.connectionLimit ?? 0) > limits.connectionsPerDatabase
        ? [
            {
              path: "connectionLimit",
              message: `must be at most ${limits.connectionsPerDatabase}, the zone's limits.connectionsPerDatabase`,
              limit: "limits.connectionsPerDatabase",
              allowed: limits.connectionsPerDatabase,
            },
          ]
        : []),
    ],
  }),
  buckets: claimKind({
    singular: "bucket",
    schema: BucketSpecSchema,
    usage: (bucket) => ({ objectGB: bucket.sizeGB }),
    outputs: { secret: "bucketSecrets" },
    outsideCluster: "objectGB",
    limitIssues: (bucket, limits) =>
      smallest("sizeGB", bucket.sizeGB, "smallestBucketGB", limits.smallestBucketGB, limits.smallestBucketGB),
  }),
  volumes: claimKind({
    singular: "volume",
    schema: VolumeSpecSchema,
    usage: (volume) => {
      const size = requireBytes(volume.size, `volume ${volume.name} size`);
      return volume.kind === "persistent"
        ? { storageBytes: size, volumeGB: volumeGB(size) }
        : { diskBytes: size, volumeGB: volumeGB(size) };
    },
    outputs: { claim: "volumeClaims" },
    limitIssues: (volume, limits) =>
      smallest(
        "size",
        requireBytes(volume.size, `volume ${volume.name} size`),
        "smallestVolume",
        requireBytes(limits.smallestVolume, "limits.smallestVolume"),
        limits.smallestVolume,
      ),
  }),
};

export type ClaimKindName = keyof typeof CLAIM_KINDS;
export const CLAIM_KIND_NAMES = Object.keys(CLAIM_KINDS) as ClaimKindName[];

/** Any kind's descriptor, for code that treats every kind alike. */
export function claimKindOf(kind: ClaimKindName): ClaimKindDescriptor<z.ZodObject> {
  return CLAIM_KINDS[kind] as unknown as ClaimKindDescriptor<z.ZodObject>;
}

/** The stack outputs a kind's items are described by. */
export type ClaimOutputNameOf<K extends ClaimKindName> =
  (typeof CLAIM_KINDS)[K]["outputs"][keyof (typeof CLAIM_KINDS)[K]["outputs"]];

/** Every stack output that describes items. */
export type ClaimOutputName = { [K in ClaimKindName]: ClaimOutputNameOf<K> }[ClaimKindName];

/** The kinds whose claims live outside the cluster, with the dimension their size is in. */
export const OUTSIDE_CLUSTER_KINDS = CLAIM_KIND_NAMES.flatMap((kind) => {
  const { singular, outsideCluster } = claimKindOf(kind);
  return outsideCluster ? [{ kind, singular, dimension: outsideCluster }] : [];
});
