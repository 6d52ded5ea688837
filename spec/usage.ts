import type { AppSpec } from "./items.js";
import type { ZoneSpec } from "./zone.js";
import { formatBytes, formatCpu, GIB, requireBytes, requireCpuMillis } from "./quantity.js";

/**
 * The one vocabulary of what claims take from a zone, from the spec through the service to the
 * policy pack. Each dimension keeps one unit everywhere; an audience works on a subset of them:
 * the service hands out and answers in `SHARE_KINDS`, the cluster and the policy pack count
 * `RESOURCE_DIMENSIONS`.
 */
export const USAGE_DIMENSIONS = [
  "chunks",
  "cpuMillis",
  "memoryBytes",
  /** Container ephemeral storage plus ephemeral volumes. */
  "diskBytes",
  /** Persistent volumes. */
  "storageBytes",
  /** Volumes of both kinds, which live on node disk, in GiB. */
  "volumeGB",
  "databaseGB",
  "objectGB",
] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/** What the service shares out between users and admits requests in. */
export const SHARE_KINDS = ["chunks", "volumeGB", "databaseGB", "objectGB"] as const;
export type ShareKind = (typeof SHARE_KINDS)[number];

/** What the policy pack counts from a stack's objects, in the order its messages list them. */
export const RESOURCE_DIMENSIONS = [
  "cpuMillis",
  "memoryBytes",
  "diskBytes",
  "storageBytes",
  "databaseGB",
  "objectGB",
] as const;
export type ResourceDimension = (typeof RESOURCE_DIMENSIONS)[number];

/** An amount in each of some dimensions; `Usage` alone has every dimension. */
export type Usage<D extends UsageDimension = UsageDimension> = Readonly<Record<D, number>>;

/** A usage with `f` of each of the given dimensions. */
export function mapUsage<D extends UsageDimension>(
  dimensions: readonly D[],
  f: (dimension: D) => number,
): Usage<D> {
  return Object.fromEntries(dimensions.map((dimension) => [dimension, f(dimension)])) as Record<D, number>;
}

/** Nothing in each of the given dimensions. */
export function noUsage<D extends UsageDimension>(dimensions: readonly D[]): Usage<D> {
  return mapUsage(dimensions, () => 0);
}

export const NO_USAGE: Usage = noUsage(USAGE_DIMENSIONS);

/** `a + b × times` in each of `a`'s dimensions; what `b` leaves out counts as nothing. */
export function addUsage<D extends UsageDimension>(a: Usage<D>, b: Partial<Usage<D>>, times = 1): Usage<D> {
  const dimensions = Object.keys(a) as D[];
  return mapUsage(dimensions, (dimension) => a[dimension] + (b[dimension] ?? 0) * times);
}

/** The sum of usages in the given dimensions. */
export function sumUsage<D extends UsageDimension>(
  dimensions: readonly D[],
  list: readonly Partial<Usage<D>>[],
): Usage<D> {
  return list.reduce<Usage<D>>((sum, usage) => addUsage(sum, usage), noUsage(dimensions));
}

/** Only the given dimensions of a usage. */
export function pickUsage<D extends UsageDimension>(usage: Usage<D>, dimensions: readonly D[]): Usage<D> {
  return mapUsage(dimensions, (dimension) => usage[dimension]);
}

/** Rounds for display: figures in problem documents and quota answers. */
export function roundUsage<D extends UsageDimension>(usage: Usage<D>): Usage<D> {
  return mapUsage(Object.keys(usage) as D[], (dimension) => Math.round(usage[dimension] * 1000) / 1000);
}

/** Requests (= limits) of one replica of an app, as Kubernetes quantities. */
export interface ReplicaResources {
  readonly cpu: string;
  readonly memory: string;
  readonly disk: string;
}

/** One chunk of the zone in the dimensions it is made of. */
export function chunkUsage(zone: ZoneSpec): Usage<"cpuMillis" | "memoryBytes" | "diskBytes"> {
  return {
    cpuMillis: requireCpuMillis(zone.chunk.cpu, "chunk.cpu"),
    memoryBytes: requireBytes(zone.chunk.memory, "chunk.memory"),
    diskBytes: requireBytes(zone.chunk.disk, "chunk.disk"),
  };
}

/**
 * Per-replica resources of an app: each dimension it names explicitly, otherwise
 * `chunks` (default 1) times the zone's chunk.
 */
export function replicaResources(
  app: Pick<AppSpec, "chunks" | "cpu" | "memory" | "disk">,
  zone: ZoneSpec,
): ReplicaResources {
  const chunks = app.chunks ?? 1;
  const chunk = chunkUsage(zone);
  return {
    cpu: app.cpu ?? formatCpu(chunks * chunk.cpuMillis),
    memory: app.memory ?? formatBytes(chunks * chunk.memoryBytes),
    disk: app.disk ?? formatBytes(chunks * chunk.diskBytes),
  };
}

/**
 * What one replica of an app takes: its resources, and the chunks it is charged (the largest of
 * its dimensions, each rounded up to whole chunks).
 */
export function replicaUsage(
  app: Pick<AppSpec, "chunks" | "cpu" | "memory" | "disk">,
  zone: ZoneSpec,
): Usage<"chunks" | "cpuMillis" | "memoryBytes" | "diskBytes"> {
  const resources = replicaResources(app, zone);
  const chunk = chunkUsage(zone);
  const used = {
    cpuMillis: requireCpuMillis(resources.cpu, "cpu"),
    memoryBytes: requireBytes(resources.memory, "memory"),
    diskBytes: requireBytes(resources.disk, "disk"),
  };
  return {
    chunks: Math.max(
      Math.ceil(used.cpuMillis / chunk.cpuMillis),
      Math.ceil(used.memoryBytes / chunk.memoryBytes),
      Math.ceil(used.diskBytes / chunk.diskBytes),
    ),
    ...used,
  };
}

/** A volume of `bytes` on node disk in the share's unit. */
export const volumeGB = (bytes: number): number => bytes / GIB;
