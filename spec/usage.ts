import type { AppSpec, ProjectSpec } from "./project.js";
import type { ZoneSpec } from "./zone.js";
import { bytes, cpuMillis, formatBytes, formatCpu } from "./quantity.js";

/** Requests (= limits) of one replica of an app, as Kubernetes quantities. */
export interface ReplicaResources {
  readonly cpu: string;
  readonly memory: string;
  readonly disk: string;
}

function must(value: number | undefined, what: string): number {
  if (value === undefined) throw new Error(`invalid quantity for ${what}`);
  return value;
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
  return {
    cpu: app.cpu ?? formatCpu(chunks * must(cpuMillis(zone.chunk.cpu), "chunk.cpu")),
    memory: app.memory ?? formatBytes(chunks * must(bytes(zone.chunk.memory), "chunk.memory")),
    disk: app.disk ?? formatBytes(chunks * must(bytes(zone.chunk.disk), "chunk.disk")),
  };
}

/** Chunks one replica is charged: the largest of its dimensions, each rounded up to whole chunks. */
export function replicaChunks(resources: ReplicaResources, zone: ZoneSpec): number {
  return Math.max(
    Math.ceil(must(cpuMillis(resources.cpu), "cpu") / must(cpuMillis(zone.chunk.cpu), "chunk.cpu")),
    Math.ceil(must(bytes(resources.memory), "memory") / must(bytes(zone.chunk.memory), "chunk.memory")),
    Math.ceil(must(bytes(resources.disk), "disk") / must(bytes(zone.chunk.disk), "chunk.disk")),
  );
}

/** What a project holds in a zone, in the units quota is counted in. */
export interface ProjectUsage {
  readonly chunks: number;
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  /** Container ephemeral storage plus ephemeral volumes. */
  readonly diskBytes: number;
  /** Persistent volumes. */
  readonly storageBytes: number;
  readonly databaseGB: number;
  readonly objectGB: number;
}

export const NO_USAGE: ProjectUsage = {
  chunks: 0,
  cpuMillis: 0,
  memoryBytes: 0,
  diskBytes: 0,
  storageBytes: 0,
  databaseGB: 0,
  objectGB: 0,
};

export function addUsage(a: ProjectUsage, b: ProjectUsage): ProjectUsage {
  return {
    chunks: a.chunks + b.chunks,
    cpuMillis: a.cpuMillis + b.cpuMillis,
    memoryBytes: a.memoryBytes + b.memoryBytes,
    diskBytes: a.diskBytes + b.diskBytes,
    storageBytes: a.storageBytes + b.storageBytes,
    databaseGB: a.databaseGB + b.databaseGB,
    objectGB: a.objectGB + b.objectGB,
  };
}

/** Totals a ProjectSpec asks of its zone, counting replicas. */
export function projectUsage(spec: ProjectSpec, zone: ZoneSpec): ProjectUsage {
  let usage = { ...NO_USAGE };
  for (const app of spec.apps) {
    const resources = replicaResources(app, zone);
    usage = addUsage(usage, {
      ...NO_USAGE,
      chunks: replicaChunks(resources, zone) * app.replicas,
      cpuMillis: must(cpuMillis(resources.cpu), "cpu") * app.replicas,
      memoryBytes: must(bytes(resources.memory), "memory") * app.replicas,
      diskBytes: must(bytes(resources.disk), "disk") * app.replicas,
    });
  }
  for (const volume of spec.volumes) {
    const size = must(bytes(volume.size), "volume size");
    usage = addUsage(
      usage,
      volume.kind === "persistent" ? { ...NO_USAGE, storageBytes: size } : { ...NO_USAGE, diskBytes: size },
    );
  }
  usage = addUsage(usage, {
    ...NO_USAGE,
    databaseGB: spec.databases.reduce((sum, db) => sum + db.sizeGB, 0),
    objectGB: spec.buckets.reduce((sum, bucket) => sum + bucket.sizeGB, 0),
  });
  return usage;
}
