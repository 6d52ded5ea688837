import { z } from "zod";
import {
  byteQuantity,
  cpuQuantity,
  dnsLabel,
  envMap,
  hostName,
  imageReference,
  positiveInt,
} from "./fields.js";

/** Item schemas of the claim kinds, one per kind; `claim-kinds.ts` holds them in its registry. */

/** A volume of the project: a PVC when persistent, an emptyDir with a size limit when ephemeral. */
export const VolumeSpecSchema = z.strictObject({
  name: dnsLabel(40),
  size: byteQuantity,
  kind: z.enum(["persistent", "ephemeral"]).default("persistent"),
});

export const VolumeMountSchema = z.strictObject({
  /** Name of a volume of the same project. */
  volume: dnsLabel(40),
  mountPath: z.string().regex(/^\/[^\s]*$/, "must be an absolute path without spaces such as /data"),
  readOnly: z.boolean().default(false),
});

export const ProbeSchema = z.strictObject({
  /** HTTP path to probe; a TCP check of the port when absent. */
  path: z
    .string()
    .regex(/^\/\S*$/, "must be an absolute URL path such as /healthz")
    .optional(),
  initialDelaySeconds: z.number().int().min(0).max(600).default(0),
});

/**
 * Which of the project's databases and buckets an app receives the credentials of, as
 * environment variables read from their Secrets. A list left out means all of that kind; an
 * empty list, none.
 */
export const AppUsesSchema = z.strictObject({
  databases: z.array(dnsLabel(40)).optional(),
  buckets: z.array(dnsLabel(40)).optional(),
});

/** A container image run as an app on a random subdomain of the zone. */
export const AppSpecSchema = z.strictObject({
  name: dnsLabel(40),
  image: imageReference,
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: envMap.default({}),
  /** Extra environment per zone name, merged over `env`. */
  zoneEnv: z.record(z.string(), envMap).default({}),
  workingDir: z
    .string()
    .regex(/^\/\S*$/, "must be an absolute path such as /app")
    .optional(),
  /** Numeric user id; root (0) is refused by the restricted Pod Security profile. */
  user: z.number().int().min(1, "must be a non-root user id (1 or more)").max(2_147_483_647).optional(),
  /** Chunks per replica; cpu/memory/disk override single dimensions. Default 1. */
  chunks: positiveInt(64).optional(),
  cpu: cpuQuantity.optional(),
  memory: byteQuantity.optional(),
  disk: byteQuantity.optional(),
  replicas: z.number().int().min(0, "must be 0 or more").max(50, "must be at most 50").default(1),
  port: z
    .number()
    .int()
    .min(1, "must be a TCP port 1-65535")
    .max(65535, "must be a TCP port 1-65535")
    .default(8080),
  volumes: z.array(VolumeMountSchema).default([]),
  serverless: z.boolean().default(false),
  customDomains: z.array(hostName).default([]),
  readOnlyRootFilesystem: z.boolean().default(true),
  probe: ProbeSchema.optional(),
  /** The databases and buckets whose credentials the app receives. Default: all of the project's. */
  uses: AppUsesSchema.default({}),
});

export const DatabaseSpecSchema = z.strictObject({
  name: dnsLabel(40),
  sizeGB: z.number().positive("must be more than 0").max(1024, "must be at most 1024"),
  /**
   * Most connections the database accepts at once; at most the zone's
   * `limits.connectionsPerDatabase`. Default 20, or that limit when it is lower.
   */
  connectionLimit: z.number().int().min(1).max(500).optional(),
});

export const BucketSpecSchema = z.strictObject({
  name: dnsLabel(40),
  sizeGB: z.number().positive("must be more than 0").max(10_240, "must be at most 10240"),
});

export type AppSpec = z.output<typeof AppSpecSchema>;
export type DatabaseSpec = z.output<typeof DatabaseSpecSchema>;
export type BucketSpec = z.output<typeof BucketSpecSchema>;
export type VolumeSpec = z.output<typeof VolumeSpecSchema>;
