import { CustomDomains, type TxtLookup } from "../domain/custom-domains.js";
import type { JobQueue } from "../domain/project-requests.js";
import type { ZoneCatalog } from "../domain/zones.js";
import { ProjectDomainRows } from "../store/project-domains.js";
import type { Store } from "../store/store.js";
import { silentLogger, type Logger } from "../observability/log.js";

/** Domains one pass takes from a zone; the rest wait for the next pass, a tick later. */
const DOMAINS_PER_PASS = 50;

/** Lookups at once: a resolver that does not answer costs a pass its timeout per batch, not per domain. */
const LOOKUPS_AT_ONCE = 8;

export interface DomainChecksOptions {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  readonly jobs: JobQueue;
  /** Looks TXT records up; the zone's resolvers outside tests. */
  readonly lookup?: TxtLookup;
  readonly logger?: Logger;
}

/**
 * The periodic DNS checks of custom domains. Each domain is looked at every
 * `domains.checkIntervalSeconds` of its zone (spec/zone.ts): a waiting or lapsed domain whose
 * record is out becomes verified, a verified one whose record is gone lapses after
 * `domains.lapseAfterMissedChecks` looks. Every service process runs one; `takeDue` hands each
 * domain to one of them.
 */
export class DomainChecks {
  private readonly domains: CustomDomains;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;

  constructor(private readonly options: DomainChecksOptions) {
    this.domains = new CustomDomains(options.store, options.zones, options.jobs, options.lookup);
  }

  /**
   * Looks for due domains as often as the zone with the shortest interval needs, at least once
   * a minute and at most once a second.
   */
  start(): void {
    const shortest = Math.min(...this.options.zones.list().map((zone) => zone.domains.checkIntervalSeconds));
    const every = Math.max(1, Math.min(60, Number.isFinite(shortest) ? shortest : 60)) * 1000;
    this.timer = setInterval(() => void this.pass(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.passing;
  }

  /** One look at every due domain of every zone; a pass already running is joined, not doubled. */
  pass(): Promise<void> {
    this.passing ??= this.checkDue().finally(() => {
      this.passing = undefined;
    });
    return this.passing;
  }

  private async checkDue(): Promise<void> {
    const rows = new ProjectDomainRows(this.options.store.db);
    for (const zone of this.options.zones.list()) {
      try {
        const due = await rows.takeDue(zone.name, zone.domains.checkIntervalSeconds, DOMAINS_PER_PASS);
        for (let start = 0; start < due.length; start += LOOKUPS_AT_ONCE) {
          await Promise.all(
            due
              .slice(start, start + LOOKUPS_AT_ONCE)
              .map(({ projectId, domain }) =>
                this.domains
                  .check(projectId, domain)
                  .catch((error: unknown) =>
                    this.logger.error({ err: error, zone: zone.name, domain }, "domain check failed"),
                  ),
              ),
          );
        }
      } catch (error) {
        this.logger.error({ err: error, zone: zone.name }, "domain checks failed");
      }
    }
  }

  private get logger(): Logger {
    return this.options.logger ?? silentLogger();
  }
}
