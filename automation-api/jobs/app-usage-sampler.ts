import type { ZoneSpec } from "../../spec/zone.js";
import type { AppsUsage, ZoneClusters } from "../cluster/cluster.js";
import { MetricsUnavailableError } from "../cluster/namespace-reader.js";
import type { ZoneCatalog } from "../domain/zones.js";
import { silentLogger, type Logger } from "../observability/log.js";
import { APP_USAGE_WINDOW_SECONDS, AppUsage, DEFAULT_USAGE_SAMPLE_SECONDS } from "../store/app-usage.js";
import { DatabaseLimits } from "../store/database-limits.js";
import type { Store } from "../store/store.js";

export interface AppUsageSamplerOptions {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  readonly clusters: ZoneClusters;
  /** Seconds between samples (default `DEFAULT_USAGE_SAMPLE_SECONDS`). */
  readonly intervalSeconds?: number;
  readonly logger?: Logger;
}

/** What one pass over a zone did. */
export interface AppUsagePass {
  readonly zone: string;
  /** Apps sampled; apps whose pods the metrics API did not report (none running) are not. */
  readonly sampled: number;
  /** Whether the zone serves no metrics API, so nothing was sampled. */
  readonly noMetrics: boolean;
}

/** The start of the slot `now` falls in: every process sampling within one slot names it alike. */
export function usageSlot(now: Date, intervalSeconds: number): Date {
  const every = intervalSeconds * 1000;
  return new Date(Math.floor(now.getTime() / every) * every);
}

/**
 * Samples the CPU and memory of every app of every active project from its zone's metrics API,
 * once per interval, and keeps an hour of them, so that an app's page can draw its last hour
 * the moment it opens (the metrics API knows only the last scrape). A zone is read in one request
 * whatever its number of apps (a thousand apps read one by one were a thousand TLS handshakes
 * every interval, beside the requests the process serves). Processes that run workers
 * sample; two of them in one slot write one sample per app.
 */
export class AppUsageSampler {
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<readonly AppUsagePass[]> | undefined;
  /** Zones whose last pass failed or found no metrics API, reported once rather than every pass. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: AppUsageSamplerOptions) {}

  get intervalSeconds(): number {
    return this.options.intervalSeconds ?? DEFAULT_USAGE_SAMPLE_SECONDS;
  }

  /** Samples once per interval, the first one interval from now. */
  start(): void {
    this.timer = setInterval(() => void this.pass(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.passing;
  }

  /** One sample of every zone; a pass under way is joined, not doubled. Never throws. */
  pass(): Promise<readonly AppUsagePass[]> {
    this.passing ??= this.sampleAll().finally(() => {
      this.passing = undefined;
    });
    return this.passing;
  }

  private async sampleAll(): Promise<readonly AppUsagePass[]> {
    const passes: AppUsagePass[] = [];
    for (const zone of this.options.zones.list()) {
      try {
        const pass = await this.sampleZone(zone);
        passes.push(pass);
        if (!pass.noMetrics && this.reported.delete(zone.name)) {
          this.logger.info({ zone: zone.name }, "app usage is sampled again");
        }
      } catch (error) {
        if (!this.reported.has(zone.name))
          this.logger.error({ err: error, zone: zone.name }, "could not sample app usage");
        this.reported.add(zone.name);
      }
    }
    try {
      await new AppUsage(this.options.store.db).prune(
        new Date(Date.now() - (APP_USAGE_WINDOW_SECONDS + this.intervalSeconds) * 1000),
      );
    } catch (error) {
      this.logger.error({ err: error }, "could not drop old app usage");
    }
    return passes;
  }

  private async sampleZone(zone: ZoneSpec): Promise<AppUsagePass> {
    const at = usageSlot(new Date(), this.intervalSeconds);
    const projects = await new DatabaseLimits(this.options.store.db).activeProjects(zone.name);
    const apps = projects.flatMap((project) =>
      project.spec.apps.map((app) => ({ projectId: project.id, project: project.name, app: app.name })),
    );
    // A zone without apps is not read: its cluster may not even be reachable from here.
    if (apps.length === 0) return { zone: zone.name, sampled: 0, noMetrics: false };
    let usage: AppsUsage;
    try {
      usage = await this.options.clusters.cluster(zone).appsUsage();
    } catch (error) {
      if (!(error instanceof MetricsUnavailableError)) throw error;
      if (!this.reported.has(zone.name)) {
        this.logger.info({ zone: zone.name }, "the zone serves no metrics API; app usage is not sampled");
      }
      this.reported.add(zone.name);
      return { zone: zone.name, sampled: 0, noMetrics: true };
    }
    const samples = apps.flatMap(({ projectId, project, app }) => {
      const pods = usage.of(project, app);
      if (pods.length === 0) return [];
      return [
        {
          projectId,
          app,
          at,
          cpuMillis: pods.reduce((sum, pod) => sum + pod.cpuMillis, 0),
          memoryBytes: pods.reduce((sum, pod) => sum + pod.memoryBytes, 0),
          pods: pods.length,
        },
      ];
    });
    await new AppUsage(this.options.store.db).record(samples);
    return { zone: zone.name, sampled: samples.length, noMetrics: false };
  }

  private get logger(): Logger {
    return this.options.logger ?? silentLogger();
  }
}
