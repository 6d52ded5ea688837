import {
  challengeName,
  challengeValue,
  claimCovers,
  claimsOverlap,
  claimsZoneDomain,
  coveringClaim,
  DOMAINS_PER_PROJECT_MAX,
  sortClaims,
} from "../../spec/domains.js";
import { stackName, type ProjectSpec } from "../../spec/project.js";
import type { ZoneDomains, ZoneSpec } from "../../spec/zone.js";
import { ProjectDomainRows } from "../store/project-domains.js";
import type { OperationRow, ProjectDomainRow, ProjectRow } from "../store/schema.js";
import type { Queries, Store } from "../store/store.js";
import { projectOf, requireProjectOwner, type Principal } from "./authz.js";
import { DnsLookupError, txtValues } from "./dns-records.js";
import {
  DomainNotClaimableError,
  DomainTakenError,
  DomainUnverifiedError,
  publishHint,
  type ChallengeRecord,
} from "./domain-errors.js";
import { ConflictError, LimitReachedError, NotFoundError } from "./errors.js";
import type { Accepted, JobQueue } from "./project-requests.js";
import { checkedSpec } from "./spec.js";
import type { ZoneCatalog } from "./zones.js";

/** What one look at a domain's record found. */
export type CheckOutcome =
  | { readonly kind: "found" }
  /** The record is definitely not there (or holds another value). */
  | { readonly kind: "missing"; readonly problem: string }
  /** The resolvers did not answer: nothing is known, nothing changes. */
  | { readonly kind: "unknown"; readonly problem: string };

/** Looks up the TXT values at a name; `txtValues` outside tests. */
export type TxtLookup = (name: string, settings: ZoneDomains) => Promise<string[]>;

/** A project's domain as the API shows it. */
export interface DomainView {
  readonly project: ProjectRow;
  readonly row: ProjectDomainRow;
  readonly record: ChallengeRecord;
  /** The operation that rolls out a change the request made, when it made one. */
  readonly operation?: OperationRow;
}

/** The record that proves `domain` for a project with this token. */
export function challengeRecord(domain: string, token: string): ChallengeRecord {
  return { type: "TXT", name: challengeName(domain), value: challengeValue(token) };
}

/** Whether the project's record is at the domain's challenge name. */
export async function checkRecord(
  domain: string,
  token: string,
  settings: ZoneDomains,
  lookup: TxtLookup = txtValues,
): Promise<CheckOutcome> {
  const { name, value } = challengeRecord(domain, token);
  let values: string[];
  try {
    values = await lookup(name, settings);
  } catch (error) {
    if (error instanceof DnsLookupError) return { kind: "unknown", problem: error.message };
    throw error;
  }
  if (values.includes(value)) return { kind: "found" };
  if (values.length === 0) {
    return { kind: "missing", problem: `no TXT record at ${name}; ${publishHint(domain, value)}` };
  }
  const shown = values.slice(0, 3).map((found) => JSON.stringify(found.slice(0, 100)));
  return {
    kind: "missing",
    problem: `the TXT records at ${name} hold ${shown.join(", ")}${values.length > 3 ? ", …" : ""}, not this project's value ${value}`,
  };
}

/** An app's host that a change of verified domains took away. */
export interface DroppedHost {
  readonly app: string;
  readonly host: string;
}

/**
 * The spec with exactly `claims` verified: apps keep the custom domains some claim still
 * covers and lose the others, so that the spec stays valid and the Ingress rules of a domain
 * no longer verified are removed by the next run.
 */
export function withVerifiedDomains(
  spec: ProjectSpec,
  claims: Iterable<string>,
): { spec: ProjectSpec; dropped: DroppedHost[] } {
  const verifiedDomains = sortClaims(claims);
  const dropped: DroppedHost[] = [];
  const apps = spec.apps.map((app) => {
    const kept = app.customDomains.filter((host) => coveringClaim(verifiedDomains, host) !== undefined);
    if (kept.length === app.customDomains.length) return app;
    for (const host of app.customDomains) {
      if (!kept.includes(host)) dropped.push({ app: app.name, host });
    }
    return { ...app, customDomains: kept };
  });
  return { spec: checkedSpec({ ...spec, verifiedDomains, apps }), dropped };
}

/** The apps' hosts that a domain covers. */
export function hostsUnder(spec: ProjectSpec, domain: string): DroppedHost[] {
  return spec.apps.flatMap((app) =>
    app.customDomains.filter((host) => claimCovers(domain, host)).map((host) => ({ app: app.name, host })),
  );
}

/**
 * Custom domains of projects (issue 15's "verified custom domains"): a member adds a domain and
 * publishes the project's TXT record under `_pluskube-challenge`; the service looks it up on
 * request and periodically, and only a verified domain enters the project's spec, where apps
 * may use it. A domain is verified for at most one project of a zone; the zone's own domain is
 * never claimable. A verified domain whose record disappears lapses; a domain that lapses or is
 * removed takes its hosts out of the apps, and so its Ingress rules out of the cluster.
 */
export class CustomDomains {
  constructor(
    private readonly store: Store,
    private readonly zones: ZoneCatalog,
    private readonly jobs: JobQueue,
    private readonly lookup: TxtLookup = txtValues,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every domain of a project, with the record each needs. */
  async list(principal: Principal, projectName: string): Promise<DomainView[]> {
    const project = await projectOf(this.store, principal, projectName);
    const rows = new ProjectDomainRows(this.store.db);
    const found = await rows.list(project.id);
    if (found.length === 0) return [];
    const token = await rows.tokenOf(project.id);
    return found.map((row) => ({ project, row, record: challengeRecord(row.domain, token) }));
  }

  async get(principal: Principal, projectName: string, domain: string): Promise<DomainView> {
    const project = await projectOf(this.store, principal, projectName);
    const rows = new ProjectDomainRows(this.store.db);
    const row = await rows.find(project.id, domain);
    if (!row) throw new NotFoundError(`domain '${domain}' of project '${project.name}'`);
    return { project, row, record: challengeRecord(domain, await rows.tokenOf(project.id)) };
  }

  /** Adds a domain, waiting for its record; idempotent (`created` false when it was there). */
  async add(
    principal: Principal,
    projectName: string,
    domain: string,
  ): Promise<DomainView & { created: boolean }> {
    requireProjectOwner(principal, "add custom domains");
    return this.store.transaction(async (queries) => {
      const project = await this.activeProject(queries, principal, projectName);
      const zone = this.zoneOf(project);
      const rows = new ProjectDomainRows(queries.db);
      const token = await rows.tokenOf(project.id);
      const existing = await rows.find(project.id, domain);
      if (existing) return { project, row: existing, record: challengeRecord(domain, token), created: false };
      if (claimsZoneDomain(domain, zone.baseDomain))
        throw new DomainNotClaimableError(domain, zone.baseDomain);
      const count = (await rows.list(project.id)).length;
      if (count >= DOMAINS_PER_PROJECT_MAX) {
        throw new LimitReachedError(
          `project '${project.name}' has ${count} custom domains, the most a project may have`,
          { limit: "domainsPerProject", allowed: DOMAINS_PER_PROJECT_MAX, current: count },
        );
      }
      await rows.lockZone(zone.name);
      await this.requireFree(rows, project, domain);
      // The first periodic look comes one interval on: the member asks when the record is out.
      const nextCheckAt = new Date(this.now().getTime() + zone.domains.checkIntervalSeconds * 1000);
      const row = await rows.insert({ projectId: project.id, zone: zone.name, domain, nextCheckAt });
      if (!row) throw new Error(`domain '${domain}' appeared while the project was locked`);
      return { project, row, record: challengeRecord(domain, token), created: true };
    });
  }

  /**
   * Looks the domain's record up now. Verified: the domain enters the spec (with an operation
   * when that changed it). Not found: 422 with what was found and the record to publish.
   */
  async verify(principal: Principal, projectName: string, domain: string): Promise<DomainView> {
    requireProjectOwner(principal, "verify custom domains");
    const project = await projectOf(this.store, principal, projectName);
    const rows = new ProjectDomainRows(this.store.db);
    if (!(await rows.find(project.id, domain))) {
      throw new NotFoundError(`domain '${domain}' of project '${project.name}'`);
    }
    const zone = this.zoneOf(project);
    if (claimsZoneDomain(domain, zone.baseDomain)) throw new DomainNotClaimableError(domain, zone.baseDomain);
    const token = await rows.tokenOf(project.id);
    const outcome = await checkRecord(domain, token, zone.domains, this.lookup);
    const result = await this.store.transaction(async (queries) => {
      const locked = await this.activeProject(queries, principal, projectName);
      return this.apply(queries, locked, zone, domain, outcome);
    });
    if (result.accepted) this.jobs.wake();
    const view: DomainView = {
      project: result.accepted?.project ?? project,
      row: result.row,
      record: challengeRecord(domain, token),
      ...(result.accepted ? { operation: result.accepted.operation } : {}),
    };
    if (result.taken) throw new DomainTakenError(domain, zone.name);
    if (result.row.state !== "verified") {
      throw new DomainUnverifiedError(domain, result.row.problem ?? "the record was not found", view.record);
    }
    return view;
  }

  /**
   * Removes a domain. A verified one leaves the spec, and apps lose the hosts it covered (their
   * Ingress rules go with the next run): the operation that rolls that out is returned.
   * `undefined` when nothing was deployed with it (or it was not there).
   */
  async remove(principal: Principal, projectName: string, domain: string): Promise<Accepted | undefined> {
    requireProjectOwner(principal, "remove custom domains");
    const result = await this.store.transaction(async (queries) => {
      const project = await this.activeProject(queries, principal, projectName);
      const removed = await new ProjectDomainRows(queries.db).delete(project.id, domain);
      if (!removed || !project.spec.verifiedDomains.includes(domain)) return undefined;
      const remaining = project.spec.verifiedDomains.filter((claim) => claim !== domain);
      const { spec } = withVerifiedDomains(project.spec, remaining);
      return this.recordSpec(queries, project, spec, `DELETE domains/${domain}`);
    });
    if (result) this.jobs.wake();
    return result;
  }

  /**
   * The periodic look at one domain, taken by `takeDue`: verifies a waiting or lapsed domain
   * whose record is out, and counts a verified domain's missed checks until it lapses.
   */
  async check(projectId: string, domain: string): Promise<void> {
    const project = await this.store.findProjectById(projectId);
    const zone = project && this.zones.get(project.zone);
    if (!project || !zone) return;
    const token = await new ProjectDomainRows(this.store.db).tokenOf(project.id);
    const outcome = await checkRecord(domain, token, zone.domains, this.lookup);
    const result = await this.store.transaction(async (queries) => {
      const locked = await queries.findProjectById(projectId, { forUpdate: true });
      if (!locked) return undefined;
      return this.apply(queries, locked, zone, domain, outcome);
    });
    if (result?.accepted) this.jobs.wake();
  }

  /** Records what a look found, inside the transaction that holds the project's row. */
  private async apply(
    queries: Queries,
    project: ProjectRow,
    zone: ZoneSpec,
    domain: string,
    outcome: CheckOutcome,
  ): Promise<{ row: ProjectDomainRow; accepted?: Accepted; taken?: boolean }> {
    const rows = new ProjectDomainRows(queries.db);
    const row = await rows.find(project.id, domain);
    if (!row) throw new NotFoundError(`domain '${domain}' of project '${project.name}'`);
    const now = this.now();
    const checked = {
      checkedAt: now,
      nextCheckAt: new Date(now.getTime() + zone.domains.checkIntervalSeconds * 1000),
    };
    const inSpec = project.spec.verifiedDomains.includes(domain);
    const active = project.status === "active";

    if (outcome.kind === "unknown") {
      return { row: await rows.update(project.id, domain, { ...checked, problem: outcome.problem }) };
    }

    if (outcome.kind === "found") {
      if (row.state !== "verified") {
        await rows.lockZone(zone.name);
        if (claimsZoneDomain(domain, zone.baseDomain) || (await this.takenBy(rows, project, domain))) {
          const problem = claimsZoneDomain(domain, zone.baseDomain)
            ? `'${domain}' reaches into the zone's own domain ${zone.baseDomain}`
            : `'${domain}' (or a name it covers) is verified for another project in this zone`;
          return { row: await rows.update(project.id, domain, { ...checked, problem }), taken: true };
        }
      }
      const updated = await rows.update(project.id, domain, {
        ...checked,
        state: "verified",
        verifiedAt: row.state === "verified" ? row.verifiedAt : now,
        missedChecks: 0,
        problem: null,
      });
      if (inSpec || !active) return { row: updated };
      const { spec } = withVerifiedDomains(project.spec, [...project.spec.verifiedDomains, domain]);
      return {
        row: updated,
        accepted: await this.recordSpec(queries, project, spec, `VERIFY domains/${domain}`),
      };
    }

    if (row.state !== "verified") {
      return { row: await rows.update(project.id, domain, { ...checked, problem: outcome.problem }) };
    }
    const missedChecks = row.missedChecks + 1;
    if (missedChecks < zone.domains.lapseAfterMissedChecks) {
      return {
        row: await rows.update(project.id, domain, { ...checked, missedChecks, problem: outcome.problem }),
      };
    }
    const lapsed = await rows.update(project.id, domain, {
      ...checked,
      state: "lapsed",
      lapsedAt: now,
      missedChecks,
      problem: outcome.problem,
    });
    if (!inSpec || !active) return { row: lapsed };
    const remaining = project.spec.verifiedDomains.filter((claim) => claim !== domain);
    const { spec, dropped } = withVerifiedDomains(project.spec, remaining);
    const hosts = dropped.map((entry) => `${entry.host} (app ${entry.app})`).join(", ");
    const request =
      `LAPSE domains/${domain}: the verification lapsed after ${missedChecks} checks without the record` +
      (hosts ? `; removed ${hosts}` : "");
    return { row: lapsed, accepted: await this.recordSpec(queries, project, spec, request) };
  }

  /** Refuses a domain that overlaps one verified for another project of the zone. */
  private async requireFree(rows: ProjectDomainRows, project: ProjectRow, domain: string): Promise<void> {
    if (await this.takenBy(rows, project, domain)) throw new DomainTakenError(domain, project.zone);
  }

  private async takenBy(rows: ProjectDomainRows, project: ProjectRow, domain: string): Promise<boolean> {
    const verified = await rows.verifiedInZone(project.zone, project.id);
    return verified.some((other) => claimsOverlap(other.domain, domain));
  }

  /**
   * Stores a spec the service derived itself: it holds nothing the fair share counts that it
   * did not hold before, so no admission runs. The next revision, with an operation of the
   * project's owner and a job for its stack, as any change.
   */
  private async recordSpec(
    queries: Queries,
    project: ProjectRow,
    spec: ProjectSpec,
    request: string,
  ): Promise<Accepted> {
    const revision = project.revision + 1;
    await queries.setProjectSpec(project.id, spec, revision);
    const operation = await queries.insertOperation({
      userId: project.userId,
      projectId: project.id,
      project: project.name,
      zone: project.zone,
      kind: "update",
      request,
      revision,
      status: "queued",
    });
    const ahead = await queries.memberBacklog(project.userId, project.id);
    await this.jobs.enqueue(
      queries,
      { projectId: project.id, stack: stackName(project.name, project.zone) },
      ahead,
    );
    return { operation, project: { ...project, spec, revision } };
  }

  private async activeProject(queries: Queries, principal: Principal, name: string): Promise<ProjectRow> {
    const project = await projectOf(queries, principal, name, { forUpdate: true });
    if (project.status === "deleting") {
      throw new ConflictError(`project '${project.name}' is being deleted`, {}, "project-deleting");
    }
    return project;
  }

  private zoneOf(project: ProjectRow): ZoneSpec {
    const zone = this.zones.get(project.zone);
    if (!zone) throw new ConflictError(`zone '${project.zone}' is no longer offered`, {}, "zone-gone");
    return zone;
  }
}
