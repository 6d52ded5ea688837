import { MIB_PER_GB } from "../../components/object-bucket/index.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { BucketQuotas } from "../datastores/bucket-quotas.js";

/** The note a bucket over its quota shows: the one reason its writes fail. */
export const OVER_QUOTA_NOTE = "over quota: writes refused";

/** Seconds volume servers may take to report a write or delete to the master that counts it. */
const HEARTBEAT_SECONDS = 5;

/** Whether a bucket accepts writes, as a member reads it in the bucket's status. */
export interface BucketWrites {
  /** `refused` when SeaweedFS refuses writes for the bucket being over its quota. */
  readonly state: "accepted" | "refused" | "unknown";
  /** Bytes SeaweedFS counts against the quota; null when unknown or nothing is stored yet. */
  readonly countedBytes: number | null;
  /** The quota, in bytes. */
  readonly limitBytes: number;
  /** Why writes are refused and how to be let back in; null unless they are. */
  readonly reason: string | null;
  /** Why the state is unknown, or that the zone enforces no quotas. */
  readonly note?: string;
}

/**
 * The bytes SeaweedFS allows a bucket of `sizeGB`: the quota is set in whole MiB, a GB being
 * `MIB_PER_GB` of them, as the bucket component sets it.
 */
export function bucketQuotaBytes(sizeGB: number): number {
  return Math.round(sizeGB * MIB_PER_GB) * 1024 * 1024;
}

/**
 * Reads whether the bucket accepts writes and explains a refusal: S3 clients get only a bare
 * `InternalError` (500) from SeaweedFS for a write to a bucket over its quota, so this is where
 * the member learns why, and how to be let back in.
 */
export async function bucketWrites(
  quotas: BucketQuotas | undefined,
  zone: ZoneSpec,
  bucket: string,
  limitBytes: number,
): Promise<BucketWrites> {
  const unknown = (note: string): BucketWrites => ({
    state: "unknown",
    countedBytes: null,
    limitBytes,
    reason: null,
    note,
  });
  if (!quotas) return unknown("not available: quotas are not read here");
  let state;
  try {
    state = await quotas.state(zone, bucket);
  } catch {
    return unknown(`not available: zone '${zone.name}''s object storage did not tell`);
  }
  if (!state) {
    return {
      state: "accepted",
      countedBytes: null,
      limitBytes,
      reason: null,
      note: `zone '${zone.name}' enforces no bucket quotas`,
    };
  }
  const countedBytes = state.countedBytes ?? null;
  if (!state.writesRefused) return { state: "accepted", countedBytes, limitBytes, reason: null };
  const within = zone.s3.quotaEnforceIntervalSeconds + HEARTBEAT_SECONDS;
  return {
    state: "refused",
    countedBytes,
    limitBytes,
    reason:
      `${OVER_QUOTA_NOTE}: the zone counts ${countedBytes ?? "more than"} bytes against the bucket's quota of ` +
      `${limitBytes} bytes, and S3 clients get InternalError (500) for every upload. Reads, listings ` +
      `and deletes still work; once deletes bring the bucket under its quota, or a larger sizeGB ` +
      `is applied, writes are accepted again within about ${within} seconds.`,
  };
}
