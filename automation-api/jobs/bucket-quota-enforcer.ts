import type { BucketQuotas } from "../datastores/bucket-quotas.js";
import { silentLogger, type Logger } from "../observability/log.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { ZoneSpec } from "../../spec/zone.js";

export interface BucketQuotaEnforcerOptions {
  readonly zones: ZoneCatalog;
  readonly quotas: BucketQuotas;
  readonly logger?: Logger;
}

/**
 * Keeps every zone's bucket quotas enforced: each zone that names a shell master has SeaweedFS
 * compare its buckets with their quotas every `s3.quotaEnforceIntervalSeconds`, so that a
 * bucket over its quota refuses writes (reads, listings and deletes go on) and one back under
 * it, after deletes or a raised quota, accepts them again.
 *
 * SeaweedFS's S3 gateway does the same once a minute on its own, and the bucket provider right
 * after it sets a quota; this makes the delay the zone's choice. Every service process runs it:
 * enforcement only brings flags up to date, so two runs at once decide the same thing.
 */
export class BucketQuotaEnforcer {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  /** Zones whose last run failed, so that a zone that stays down is reported once, not every run. */
  private readonly failing = new Set<string>();

  constructor(private readonly options: BucketQuotaEnforcerOptions) {}

  /** Starts one timer per zone with a shell master; the first run is right away. */
  start(): void {
    for (const zone of this.options.zones.list()) {
      if (!zone.s3.shellMaster) continue;
      const timer = setInterval(() => void this.enforce(zone), zone.s3.quotaEnforceIntervalSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
      void this.enforce(zone);
    }
  }

  /** Stops the timers and waits for runs under way. */
  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.running.values());
  }

  /**
   * Enforces the zone's quotas now, unless a run for the zone is under way (which this waits
   * for instead). Never throws: a failure is logged and the next run tries again.
   */
  async enforce(zone: ZoneSpec): Promise<void> {
    const underWay = this.running.get(zone.name);
    if (underWay) return await underWay;
    const run = this.run(zone).finally(() => this.running.delete(zone.name));
    this.running.set(zone.name, run);
    await run;
  }

  private async run(zone: ZoneSpec): Promise<void> {
    const logger = this.options.logger ?? silentLogger();
    try {
      const flips = await this.options.quotas.enforce(zone);
      if (this.failing.delete(zone.name))
        logger.info({ zone: zone.name }, "bucket quotas are enforced again");
      for (const flip of flips) {
        logger.info(
          { zone: zone.name, bucket: flip.bucket },
          flip.readOnly
            ? "bucket over its quota; writes refused"
            : "bucket back under its quota; writes accepted",
        );
      }
    } catch (error) {
      if (this.failing.has(zone.name)) return;
      this.failing.add(zone.name);
      logger.error({ err: error, zone: zone.name }, "could not enforce bucket quotas");
    }
  }
}
