import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { bytes, cpuMillis, GIB } from "../../spec/quantity.js";
import { projectUsage } from "../../spec/usage.js";

/**
 * Fair-share arithmetic (DESIGN.md "Concepts"): compute is handed out in chunks, volumes,
 * databases and buckets in GB, and each active user of a zone gets capacity × weight / Σ weights.
 */
export const QUOTA_KINDS = ["chunks", "volumeGB", "databaseGB", "objectGB"] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];
export type Amounts = Readonly<Record<QuotaKind, number>>;

export const ZERO: Amounts = { chunks: 0, volumeGB: 0, databaseGB: 0, objectGB: 0 };

function must(value: number | undefined, what: string): number {
  if (value === undefined) throw new Error(`zone has an invalid ${what}`);
  return value;
}

export function mapAmounts(f: (kind: QuotaKind) => number): Amounts {
  return Object.fromEntries(QUOTA_KINDS.map((kind) => [kind, f(kind)])) as Record<QuotaKind, number>;
}

export function sumAmounts(list: readonly Amounts[]): Amounts {
  return mapAmounts((kind) => list.reduce((sum, amounts) => sum + amounts[kind], 0));
}

/** Rounds for display: figures in problem documents and quota answers. */
export function roundAmounts(amounts: Amounts): Amounts {
  return mapAmounts((kind) => Math.round(amounts[kind] * 1000) / 1000);
}

/**
 * What a zone hands out after its reserve: whole chunks (limited by the scarcest of cpu, memory
 * and disk), the disk left beside those chunks for volumes, and the database and object GB.
 */
export function zoneAllocatable(zone: ZoneSpec): Amounts {
  const free = (capacity: number | undefined, reserve: number | undefined, what: string) =>
    Math.max(0, must(capacity, `capacity.${what}`) - must(reserve, `reserve.${what}`));
  const cpu = free(cpuMillis(zone.capacity.cpu), cpuMillis(zone.reserve.cpu), "cpu");
  const memory = free(bytes(zone.capacity.memory), bytes(zone.reserve.memory), "memory");
  const disk = free(bytes(zone.capacity.disk), bytes(zone.reserve.disk), "disk");
  const chunkDisk = must(bytes(zone.chunk.disk), "chunk.disk");
  const chunks = Math.min(
    Math.floor(cpu / must(cpuMillis(zone.chunk.cpu), "chunk.cpu")),
    Math.floor(memory / must(bytes(zone.chunk.memory), "chunk.memory")),
    Math.floor(disk / chunkDisk),
  );
  return {
    chunks,
    volumeGB: Math.floor((disk - chunks * chunkDisk) / GIB),
    databaseGB: zone.capacity.databaseGB,
    objectGB: zone.capacity.objectGB,
  };
}

/** What a project's spec takes from its zone, in quota kinds. Volumes of both kinds live on node disk. */
export function specAmounts(spec: ProjectSpec, zone: ZoneSpec): Amounts {
  const usage = projectUsage(spec, zone);
  const volumeBytes = spec.volumes.reduce((sum, volume) => sum + (bytes(volume.size) ?? 0), 0);
  return {
    chunks: usage.chunks,
    volumeGB: volumeBytes / GIB,
    databaseGB: usage.databaseGB,
    objectGB: usage.objectGB,
  };
}

/** A user's share of a zone: allocatable × weight / the sum of the weights of the zone's active users. */
export function fairShare(zone: ZoneSpec, weight: number, totalWeight: number): Amounts {
  const allocatable = zoneAllocatable(zone);
  const fraction = totalWeight > 0 ? weight / totalWeight : 0;
  return mapAmounts((kind) => allocatable[kind] * fraction);
}

export interface AdmissionInput {
  /** What the user's projects in the zone hold now, this project included. */
  readonly used: Amounts;
  /** This project before and after the request. */
  readonly before: Amounts;
  readonly after: Amounts;
  readonly share: Amounts;
}

export type Admission =
  | { readonly admitted: true; readonly resulting: Amounts }
  | {
      readonly admitted: false;
      readonly exceeded: readonly QuotaKind[];
      readonly used: Amounts;
      readonly asked: Amounts;
      readonly share: Amounts;
    };

const EPSILON = 1e-9;

/**
 * Admits a request when, in every kind it grows, the user's resulting total stays within the
 * share. A kind the request does not grow is never refused: a user left above a share that
 * shrank when others joined keeps what runs and can always shrink.
 */
export function admit(input: AdmissionInput): Admission {
  const asked = mapAmounts((kind) => input.after[kind] - input.before[kind]);
  const resulting = mapAmounts((kind) => input.used[kind] + asked[kind]);
  const exceeded = QUOTA_KINDS.filter(
    (kind) => asked[kind] > EPSILON && resulting[kind] > input.share[kind] + EPSILON,
  );
  if (exceeded.length === 0) return { admitted: true, resulting };
  return { admitted: false, exceeded, used: input.used, asked, share: input.share };
}

/** The tenant-quota policy's share, in the raw units the policy pack compares resources with. */
export interface PolicyShare {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly storageBytes: number;
  readonly databaseGB: number;
  readonly objectGB: number;
}

/**
 * The share handed to the policy pack for one stack: what the user's share leaves after their
 * other projects in the zone, and never less than what the service admitted for this project,
 * so that a shrinking update of a user above a reduced share is not refused by the policy.
 */
export function stackAllowance(share: Amounts, others: Amounts, admitted: Amounts): Amounts {
  return mapAmounts((kind) => Math.max(share[kind] - others[kind], admitted[kind], 0));
}

export function policyShare(allowance: Amounts, zone: ZoneSpec): PolicyShare {
  const chunks = Math.floor(allowance.chunks + EPSILON);
  const volumeBytes = Math.floor(allowance.volumeGB * GIB);
  return {
    cpuMillis: chunks * must(cpuMillis(zone.chunk.cpu), "chunk.cpu"),
    memoryBytes: chunks * must(bytes(zone.chunk.memory), "chunk.memory"),
    diskBytes: chunks * must(bytes(zone.chunk.disk), "chunk.disk") + volumeBytes,
    storageBytes: volumeBytes,
    databaseGB: allowance.databaseGB,
    objectGB: allowance.objectGB,
  };
}
