import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { parseWith } from "./errors.js";
import { isCidrText, parseCidr } from "./address-ranges.js";
import { byteQuantity, cpuQuantity, dnsLabel, envMap, hostName, positiveInt } from "./fields.js";
import { isAddressRegistry } from "./registries.js";

const resources = z.strictObject({ cpu: cpuQuantity, memory: byteQuantity, disk: byteQuantity });

const addressRange = z
  .string()
  .refine(isCidrText, "must be an address range such as 203.0.113.0/28 or 2001:db8:1::/48")
  .refine(
    (cidr) => (parseCidr(cidr)?.prefix ?? 0) > 0,
    "must not be the whole address space: list the zone's own ranges",
  );

const dnsAddress = z
  .string()
  .refine(
    (text) => isCidrText(`${text}/${text.includes(":") ? 128 : 32}`),
    "must be an IP address such as 169.254.20.10",
  );

const addressRegistry = z
  .string()
  .regex(
    /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i,
    "must be a registry host[:port] such as 10.0.3.9:5000",
  )
  .refine(
    isAddressRegistry,
    "must be a registry named by an address (IP literal or localhost); named registries need no entry",
  );

/** PostgreSQL's own default `max_connections`, the server limit assumed when a zone names none. */
export const DEFAULT_MAX_CONNECTIONS = 100;

/**
 * What one member may make in the zone, beyond the fair share: every project, item and
 * connection costs the zone something (objects in its cluster, roles on its Postgres, runs of
 * the job queue) even where the share counts nothing, such as an app scaled to zero.
 */
export const ZoneLimitsSchema = z.strictObject({
  /** Projects one member may have in the zone, those being deleted included. Default 20. */
  projectsPerMember: positiveInt(10_000).default(20),
  /** Apps, databases, buckets and volumes of one project, together. Default 50. */
  itemsPerProject: positiveInt(10_000).default(50),
  /** Smallest database, in GB. Default 1. */
  smallestDatabaseGB: z.number().positive("must be more than 0").max(1024, "must be at most 1024").default(1),
  /** Smallest bucket, in GB. Default 1. */
  smallestBucketGB: z
    .number()
    .positive("must be more than 0")
    .max(10_240, "must be at most 10240")
    .default(1),
  /** Smallest volume, persistent or ephemeral. Default 256Mi. */
  smallestVolume: byteQuantity.default("256Mi"),
  /**
   * Most connections one database may accept (its `connectionLimit`); below the server's
   * `postgres.maxConnections`, so that the platform can still connect. Default 50.
   */
  connectionsPerDatabase: positiveInt(500).default(50),
  /**
   * Longest lifetime of a project token in this zone, in seconds, and its lifetime when none is
   * asked; the service's own maximum (`PLUSKUBE_PROJECT_TOKEN_MAX_LIFETIME`) applies as well, the
   * shorter wins. None when absent.
   */
  projectTokenMaxLifetimeSeconds: positiveInt(10 * 366 * 86_400).optional(),
});

export type ZoneLimits = z.output<typeof ZoneLimitsSchema>;

/** What a zone (one Kubernetes cluster per city, with its Postgres and S3) offers and how to reach it. */
export const ZoneSpecSchema = z
  .strictObject({
    /** Zone name, used in stack names `<project>.<zone>`. */
    name: dnsLabel(30),
    /** Path of the kubeconfig that reaches the zone's cluster (`~` expanded). */
    kubeconfig: z.string().min(1).optional(),
    /** Context inside the kubeconfig; its current context when absent. */
    context: z.string().min(1).optional(),
    /** Apps get `<random-subdomain>.<baseDomain>`. */
    baseDomain: hostName,
    /** IngressClass that serves the zone's apps. */
    ingressClass: dnsLabel(),
    /** Namespace of the ingress controller, allowed in by every tenant's network policy. */
    ingressNamespace: dnsLabel().default("ingress-nginx"),
    /** StorageClass for persistent volumes. */
    storageClass: dnsLabel(),
    /** cert-manager ClusterIssuer for TLS certificates; empty when the zone has none. */
    certIssuer: z.string().default(""),
    /** Whether Knative Serving is installed, which serverless apps need. */
    knative: z.boolean().default(false),
    /** RuntimeClass for tenant pods (e.g. gVisor), when the zone has one. */
    runtimeClass: z.string().optional(),
    /** Environment every app in the zone receives. */
    appEnv: envMap.default({}),
    /** The unit of compute the zone hands out. */
    chunk: resources,
    /** Allocatable totals shared between users. */
    capacity: z.strictObject({
      cpu: cpuQuantity,
      memory: byteQuantity,
      disk: byteQuantity,
      databaseGB: z.number().nonnegative(),
      objectGB: z.number().nonnegative(),
    }),
    /** Kept back from the capacity for the platform itself. */
    reserve: resources,
    /**
     * The zone's own address ranges: its nodes' and storage hosts' public addresses, its API
     * server, anything of the zone reachable outside the cluster network. Internet egress leaves
     * them out (as it does private ranges); the zone's Postgres and S3 stay reachable on their
     * own ports only.
     */
    addressRanges: z.array(addressRange).default([]),
    /**
     * Registries named by an address (`10.0.3.9:5000`, `localhost:5000`) that apps may pull from,
     * exactly as written in image references. Any other address registry is refused.
     */
    addressRegistries: z.array(addressRegistry).default([]),
    /**
     * Addresses of a cluster DNS that runs outside the pod network (a node-local DNS cache on a
     * link address of each node), which pods' network policies must allow on port 53 besides
     * kube-system's DNS pods. Default none.
     */
    dnsAddresses: z.array(dnsAddress).default([]),
    /** Number of fake nodes the local zone runs; ignored by real zones. */
    nodes: positiveInt(100).optional(),
    /**
     * Which nodes the local zone runs (ignored by real zones): its one real node, kwok's
     * simulated nodes, or both, the simulated ones then tainted so that apps land on the real
     * node unless their zone routes them to the simulated ones. `PLUSKUBE_LOCALZONE_NODES`
     * overrides it. Default `both`.
     */
    localNodes: z.enum(["real", "simulated", "both"]).optional(),
    /** What one member may make in the zone; every limit has a default. */
    limits: ZoneLimitsSchema.default(ZoneLimitsSchema.parse({})),
    /** The zone's PostgreSQL server, where projects get databases. */
    postgres: z.strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535),
      adminUser: z.string().min(1),
      /** File holding the admin password (`~` expanded). */
      passwordFile: z.string().min(1),
      sslmode: z.enum(["disable", "require", "verify-full"]).default("require"),
      /** Host name pods use to reach the server, when it differs from `host`. */
      clusterHost: z.string().optional(),
      /** The server's `max_connections`. Default 100, PostgreSQL's own default. */
      maxConnections: positiveInt(100_000).default(DEFAULT_MAX_CONNECTIONS),
    }),
    /** The zone's SeaweedFS S3 endpoint, where projects get buckets. */
    s3: z.strictObject({
      endpoint: z.url({ error: "must be a URL such as http://127.0.0.1:8333" }),
      /** The endpoint as pods reach it, when it differs from `endpoint` (which the service uses). */
      clusterEndpoint: z.url({ error: "must be a URL such as http://10.0.3.7:8333" }).optional(),
      region: z.string().default("us-east-1"),
      adminAccessKeyFile: z.string().min(1),
      adminSecretKeyFile: z.string().min(1),
      /** `weed shell` master address used to set bucket quotas. */
      shellMaster: z.string().optional(),
    }),
  })
  .superRefine((zone, ctx) => {
    if (zone.limits.connectionsPerDatabase >= zone.postgres.maxConnections) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "connectionsPerDatabase"],
        message: `must be less than postgres.maxConnections (${zone.postgres.maxConnections}), so that one database cannot take every connection of the server`,
      });
    }
  });

export type ZoneSpec = z.output<typeof ZoneSpecSchema>;
export type ZoneSpecInput = z.input<typeof ZoneSpecSchema>;

export function parseZoneSpec(input: unknown): ZoneSpec {
  return parseWith(ZoneSpecSchema, "zone spec", input);
}

/** Where pluskube keeps its data on this machine: `~/.local/share/pluskube`, or `$PLUSKUBE_DATA_DIR`. */
export function dataDir(): string {
  return process.env["PLUSKUBE_DATA_DIR"] ?? join(homedir(), ".local", "share", "pluskube");
}

const DEFAULT_DATA_DIR = "~/.local/share/pluskube";

/**
 * A path as a zone file or a stack's config writes it, on this machine: a leading `~` is the
 * home folder, and paths in the default data folder follow `$PLUSKUBE_DATA_DIR` when that is set
 * (the local zone's zone file names its kubeconfig and credential files there). Every reader of
 * a zone's files goes through this one function.
 */
export function resolveZonePath(path: string): string {
  if (path === DEFAULT_DATA_DIR || path.startsWith(DEFAULT_DATA_DIR + "/")) {
    return dataDir() + path.slice(DEFAULT_DATA_DIR.length);
  }
  return path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path;
}

/** Reads and validates a zone file such as `zones/local.yaml`. */
export function loadZoneFile(file: string): ZoneSpec {
  return parseZoneSpec(parseYaml(readFileSync(file, "utf8")));
}
