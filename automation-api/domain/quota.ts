import { projectUsage, type ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { GIB, requireBytes, requireCpuMillis } from "../../spec/quantity.js";
import {
  chunkUsage,
  mapUsage,
  noUsage,
  pickUsage,
  SHARE_KINDS,
  type ResourceDimension,
  type ShareKind,
  type Usage,
} from "../../spec/usage.js";

/**
 * Fair-share arithmetic (DESIGN.md "Concepts"): compute is handed out in chunks, volumes,
 * databases and buckets in GB, and each active user of a zone gets capacity × weight / Σ weights.
 * Figures are usages in the share's kinds (`SHARE_KINDS` of spec/usage.ts).
 */
export type Amounts = Usage<ShareKind>;

export const ZERO: Amounts = noUsage(SHARE_KINDS);

/**
 * What a zone hands out after its reserve: whole chunks (limited by the scarcest of cpu, memory
 * and disk), the disk left beside those chunks for volumes, and the database and object GB.
 */
export function zoneAllocatable(zone: ZoneSpec): Amounts {
  const free = (capacity: number, reserve: number) => Math.max(0, capacity - reserve);
  const cpu = free(
    requireCpuMillis(zone.capacity.cpu, "capacity.cpu"),
    requireCpuMillis(zone.reserve.cpu, "reserve.cpu"),
  );
  const memory = free(
    requireBytes(zone.capacity.memory, "capacity.memory"),
    requireBytes(zone.reserve.memory, "reserve.memory"),
  );
  const disk = free(
    requireBytes(zone.capacity.disk, "capacity.disk"),
    requireBytes(zone.reserve.disk, "reserve.disk"),
  );
  const chunk = chunkUsage(zone);
  const chunks = Math.min(
    Math.floor(cpu / chunk.cpuMillis),
    Math.floor(memory / chunk.memoryBytes),
    Math.floor(disk / chunk.diskBytes),
  );
  return {
    chunks,
    volumeGB: Math.floor((disk - chunks * chunk.diskBytes) / GIB),
    databaseGB: zone.capacity.databaseGB,
    objectGB: zone.capacity.objectGB,
  };
}

/** What a project's spec takes from its zone, in the share's kinds. */
export function specAmounts(spec: ProjectSpec, zone: ZoneSpec): Amounts {
  return pickUsage(projectUsage(spec, zone), SHARE_KINDS);
}

/** A user's share of a zone: allocatable × weight / the sum of the weights of the zone's active users. */
export function fairShare(zone: ZoneSpec, weight: number, totalWeight: number): Amounts {
  const allocatable = zoneAllocatable(zone);
  const fraction = totalWeight > 0 ? weight / totalWeight : 0;
  return mapUsage(SHARE_KINDS, (kind) => allocatable[kind] * fraction);
}

export interface AdmissionInput {
  /** What the user's projects in the zone hold now, this project included. */
  readonly used: Amounts;
  /** This project before and after the request. */
  readonly before: Amounts;
  readonly after: Amounts;
  readonly share: Amounts;
  /**
   * The zone as a whole: what every member's projects hold now (this one included) and what the
   * zone hands out. Left out, only the share is checked.
   */
  readonly zone?: { readonly used: Amounts; readonly allocatable: Amounts };
}

export type Admission =
  | { readonly admitted: true; readonly resulting: Amounts }
  | {
      readonly admitted: false;
      /**
       * `share`: the request exceeds the member's fair share. `zone`: it fits the share, but
       * not what is free in the zone now, because others hold more than their shares (nothing
       * is evicted); what is free grows as they shrink.
       */
      readonly reason: "share" | "zone";
      readonly exceeded: readonly ShareKind[];
      readonly used: Amounts;
      readonly asked: Amounts;
      readonly share: Amounts;
      /** What is free in the zone now; with reason `zone`. */
      readonly zoneFree?: Amounts;
    };

const EPSILON = 1e-9;

/** Whether every figure is a finite number. */
export const allFinite = (...figures: readonly number[]): boolean => figures.every(Number.isFinite);

/**
 * Admits a request when, in every kind it grows, the user's resulting total stays within the
 * share. A kind the request does not grow is never refused: a user left above a share that
 * shrank when others joined keeps what runs and can always shrink. A figure that is not a finite
 * number (NaN fails every comparison) refuses its kind whatever the request does, since nothing
 * can be known about what it holds.
 */
export function admit(input: AdmissionInput): Admission {
  const asked = mapUsage(SHARE_KINDS, (kind) => input.after[kind] - input.before[kind]);
  const resulting = mapUsage(SHARE_KINDS, (kind) => input.used[kind] + asked[kind]);
  const exceeded = SHARE_KINDS.filter(
    (kind) =>
      !allFinite(asked[kind], resulting[kind], input.share[kind]) ||
      (asked[kind] > EPSILON && resulting[kind] > input.share[kind] + EPSILON),
  );
  const refused = { admitted: false, used: input.used, asked, share: input.share } as const;
  if (exceeded.length > 0) return { ...refused, reason: "share", exceeded };
  const zone = input.zone;
  if (zone) {
    // Every member's total may not pass what the zone hands out: the request's growth must fit
    // what is free now, whatever the share promises.
    const free = zoneFree(zone.allocatable, zone.used);
    const beyond = SHARE_KINDS.filter(
      (kind) =>
        !allFinite(zone.used[kind], zone.allocatable[kind]) ||
        (asked[kind] > EPSILON && asked[kind] > free[kind] + EPSILON),
    );
    if (beyond.length > 0) return { ...refused, reason: "zone", exceeded: beyond, zoneFree: free };
  }
  return { admitted: true, resulting };
}

/** What the zone has free now: what it hands out less what every member holds, never below 0. */
export function zoneFree(allocatable: Amounts, used: Amounts): Amounts {
  return mapUsage(SHARE_KINDS, (kind) => Math.max(0, allocatable[kind] - used[kind]));
}

/** The tenant-quota policy's share, in the dimensions the policy pack counts resources in. */
export type PolicyShare = Usage<ResourceDimension>;

/**
 * The share handed to the policy pack for one stack: what the user's share leaves after their
 * other projects in the zone, and never less than what the service admitted for this project,
 * so that a shrinking update of a user above a reduced share is not refused by the policy.
 */
export function stackAllowance(share: Amounts, others: Amounts, admitted: Amounts): Amounts {
  return mapUsage(SHARE_KINDS, (kind) => Math.max(share[kind] - others[kind], admitted[kind], 0));
}

/** An allowance in whole chunks and volume GB as the cluster's resources the pack counts. */
export function policyShare(allowance: Amounts, zone: ZoneSpec): PolicyShare {
  const chunks = Math.floor(allowance.chunks + EPSILON);
  const volumeBytes = Math.floor(allowance.volumeGB * GIB);
  const chunk = chunkUsage(zone);
  return {
    cpuMillis: chunks * chunk.cpuMillis,
    memoryBytes: chunks * chunk.memoryBytes,
    diskBytes: chunks * chunk.diskBytes + volumeBytes,
    storageBytes: volumeBytes,
    databaseGB: allowance.databaseGB,
    objectGB: allowance.objectGB,
  };
}
