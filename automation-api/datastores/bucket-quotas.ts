import {
  enforceBucketQuotas,
  parseReadOnlyBuckets,
  runWeedShell,
  weedShellError,
  type QuotaFlip,
  type QuotaShell,
} from "../../components/object-bucket/seaweed.js";
import type { ZoneSpec } from "../../spec/zone.js";

/** Where a bucket stands against its quota, as the zone's SeaweedFS sees it. */
export interface BucketQuotaState {
  /** Whether SeaweedFS refuses writes to the bucket (its filer marks it read-only). */
  readonly writesRefused: boolean;
  /**
   * Bytes SeaweedFS counts against the quota: the live bytes of the bucket's volumes, a few dozen
   * bytes per object more than the objects' sizes, as of the volume servers' last heartbeat.
   * `undefined` when the bucket has stored nothing yet.
   */
  readonly countedBytes: number | undefined;
}

/** The service's hold on the zones' bucket quotas. Tests hand in a fake. */
export interface BucketQuotas {
  /**
   * The bucket's state; `undefined` when the zone names no shell master, so that its quotas are
   * neither set nor enforced. Throws when SeaweedFS does not answer.
   */
  state(zone: ZoneSpec, bucket: string): Promise<BucketQuotaState | undefined>;
  /** Has the zone's SeaweedFS enforce every bucket quota now; the buckets whose writability changed. */
  enforce(zone: ZoneSpec): Promise<QuotaFlip[]>;
}

/**
 * Live bytes per collection from `collection.list` (`collection:"NAME" ... size:N ...
 * deletedBytes:M`): size less the deleted bytes not yet vacuumed, as `s3.bucket.quota.enforce`
 * counts them. A bucket's collection is named after it.
 */
export function parseCollectionBytes(output: string): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const line of output.split("\n")) {
    const name = /collection:"([^"]*)"/.exec(line)?.[1];
    const size = /\bsize:(\d+)/.exec(line)?.[1];
    if (name === undefined || size === undefined) continue;
    const deleted = Number(/\bdeletedBytes:(\d+)/.exec(line)?.[1] ?? 0);
    sizes.set(name, Math.max(0, Number(size) - deleted));
  }
  return sizes;
}

function shellOf(zone: ZoneSpec, weedPath: string): QuotaShell | undefined {
  return zone.s3.shellMaster ? { master: zone.s3.shellMaster, weedPath } : undefined;
}

/**
 * Bucket quotas through `weed shell` against each zone's master: `fs.configure` tells which
 * buckets are read-only, `collection.list` what SeaweedFS counts against their quotas, and
 * `s3.bucket.quota.enforce -apply` brings the read-only flags up to date.
 *
 * `weedPath` is the `weed` binary to run (`weed` finds it on PATH).
 */
export function weedBucketQuotas(weedPath = "weed"): BucketQuotas {
  return {
    async state(zone, bucket) {
      const shell = shellOf(zone, weedPath);
      if (!shell) return undefined;
      // One shell for both: each run costs a process start and a connection to the master.
      const output = await runWeedShell(shell, ["fs.configure", "collection.list"]);
      const error = weedShellError(output);
      if (error !== undefined) {
        throw new Error(`reading bucket quotas through weed shell at ${shell.master} failed: ${error}`);
      }
      const configuration = output.slice(0, output.lastIndexOf("}") + 1);
      return {
        writesRefused: parseReadOnlyBuckets(configuration).has(bucket),
        countedBytes: parseCollectionBytes(output.slice(configuration.length)).get(bucket),
      };
    },
    async enforce(zone) {
      const shell = shellOf(zone, weedPath);
      return shell ? await enforceBucketQuotas(shell) : [];
    },
  };
}
