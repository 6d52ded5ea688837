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

/** The reconciler's schedule in a zone (automation-api/jobs/reconciler.ts). */
export const ReconcileSettingsSchema = z.strictObject({
  /** Seconds between two reconciles of one project, each spread by ±10%. Default 900. */
  intervalSeconds: positiveInt(7 * 86_400).default(900),
  /** Longest wait, in seconds, after repeated failures (each one doubles the wait). Default 21600. */
  maxBackoffSeconds: positiveInt(30 * 86_400).default(21_600),
  /** Failures in a row after which a project's reconcile is reported as failing. Default 3. */
  reportAfterFailures: positiveInt(100).default(3),
});

export type ReconcileSettings = z.output<typeof ReconcileSettingsSchema>;

const resolverAddress = z.string().refine((text) => {
  const bracketed = /^\[([0-9a-f:.]+)\]:\d{1,5}$/i.exec(text);
  const withPort = /^([0-9.]+):\d{1,5}$/.exec(text);
  const address = bracketed?.[1] ?? withPort?.[1] ?? text;
  return isCidrText(`${address}/${address.includes(":") ? 128 : 32}`);
}, "must be a resolver address such as 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53");

/** How the service verifies members' custom domains by DNS. */
export const ZoneDomainsSchema = z.strictObject({
  /**
   * Resolvers asked for the `_pluskube-challenge` TXT records, as `address[:port]`. Default
   * none: the resolvers of the service's host. A zone whose members' domains must be seen as
   * the world sees them names a recursive resolver it trusts.
   */
  resolvers: z.array(resolverAddress).default([]),
  /** Seconds between checks of each domain, verified or waiting. Default 3600. */
  checkIntervalSeconds: positiveInt(7 * 86_400).default(3600),
  /**
   * Checks in a row that must find the record gone before a verified domain lapses, so that a
   * record being edited does not take apps off their domain at once. Default 2.
   */
  lapseAfterMissedChecks: positiveInt(100).default(2),
  /** Seconds one lookup may take, each resolver tried in turn. Default 5. */
  lookupTimeoutSeconds: positiveInt(60).default(5),
});

export type ZoneDomains = z.output<typeof ZoneDomainsSchema>;

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
    /**
     * How often the service compares each project's cluster objects with its stack and repairs
     * drift. Default: every 15 minutes, backing off to at most 6 hours while repairs fail.
     */
    reconcile: ReconcileSettingsSchema.optional(),
    /** How members' custom domains are verified; every setting has a default. */
    domains: ZoneDomainsSchema.default(ZoneDomainsSchema.parse({})),
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
      /**
       * Seconds between two measurements of the projects' databases, each followed by refusing
       * writes to those over their `sizeGB` and restoring those back under it. Default 60.
       */
      sizeCheckSeconds: positiveInt(86_400).default(60),
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
      /**
       * How often, in seconds, the service has SeaweedFS compare every bucket with its quota,
       * refusing writes to those over it and accepting them again once back under. SeaweedFS's
       * S3 gateway does the same by itself once a minute. Only with `shellMaster`. Default 15.
       */
      quotaEnforceIntervalSeconds: positiveInt(86_400).default(15),
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
