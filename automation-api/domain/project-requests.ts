import type { ProjectSpec } from "../../spec/project.js";
import { stackName } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { OperationKind, OperationRow, ProjectRow } from "../store/schema.js";
import type { Queries, Store } from "../store/store.js";
import { projectOf, requireProjectOwner, requireUserToken, requireWrite, type Principal } from "./authz.js";
import {
  ConflictError,
  NotFoundError,
  QuotaExceededError,
  ValidationError,
  ZoneFullError,
} from "./errors.js";
import { admitChange } from "./fair-share.js";
import { checkProjectCount, checkSpecLimits } from "./limits.js";
import { roundUsage } from "../../spec/usage.js";
import { CLAIM_KINDS, type ClaimKindName } from "../../spec/claim-kinds.js";
import type { ClaimItem } from "../../spec/project.js";
import {
  emptyProjectSpec,
  findItem,
  mergePatch,
  putItem,
  removeItem,
  reservedProjectName,
  parseItem,
  type ProjectSettings,
} from "./spec.js";
import type { ZoneCatalog } from "./zones.js";
import type { ZoneClusters } from "../cluster/cluster.js";
import { requireNamespaceAbsent } from "./namespace-check.js";
import { requireAllowedRegistries } from "./image-registries.js";
import { sameSpec, stackSettled, UNCHANGED_MESSAGE } from "./unchanged.js";

/** A job that brings a stack to its project's latest desired spec. */
export interface StackJob {
  readonly projectId: string;
  readonly stack: string;
  /** How many times the job found its stack busy and put itself back; spaces out its next look. */
  readonly waits?: number;
  /**
   * Set by the reconciler: compare the stack with its cluster and repair drift. A member's change
   * that is due when it starts runs instead.
   */
  readonly reconcile?: boolean;
}

/**
 * How requests hand work to the job queue: inside the request's transaction, then a wake-up after
 * commit. `ahead` is how many of the member's other stacks already wait or run: the queue starts
 * a job after those of members with fewer ahead, so that one member's backlog never holds back
 * another member's single request for more than one run per worker.
 */
export interface JobQueue {
  enqueue(queries: Queries, job: StackJob, ahead: number): Promise<void>;
  wake(): void;
}

export interface Accepted {
  readonly operation: OperationRow;
  readonly project: ProjectRow;
}

/**
 * The flow of every change (DESIGN.md "Service"): authorize, assemble and validate the new
 * desired spec, admit it against the fair share, then store it with an operation and enqueue
 * a job for the stack, all in one transaction.
 */
export class ProjectRequests {
  constructor(
    private readonly store: Store,
    private readonly jobs: JobQueue,
    private readonly zones: ZoneCatalog,
    private readonly clusters: ZoneClusters,
  ) {}

  /** Creates a project in a zone, or updates its settings; idempotent. */
  async putProject(
    principal: Principal,
    name: string,
    body: { zone: string } & ProjectSettings,
  ): Promise<Accepted & { created: boolean }> {
    requireWrite(principal);
    const zone = this.zones.get(body.zone);
    const result = await this.store.transaction(async (queries) => {
      const existing = await queries.findProject(principal.user.id, name, { forUpdate: true });
      if (existing) {
        const project = await projectOf(queries, principal, name, { forUpdate: true });
        requireProjectOwner(principal, "change the project's settings");
        if (project.zone !== body.zone) {
          throw new ConflictError(
            `project '${name}' is in zone '${project.zone}'; a project cannot move to another zone`,
          );
        }
        const accepted = await this.change(queries, principal, project, `PUT projects/${name}`, (spec) =>
          // Settings are parsed with the body and refer to no item: nothing to check again.
          ({ ...spec, ...settingsOf(body) }),
        );
        return { ...definite(accepted), created: false };
      }
      // Project tokens reach only their own project, which exists.
      if (principal.projectId !== null) throw new NotFoundError(`project '${name}'`);
      requireUserToken(principal, "create projects");
      if (!zone) throw new ValidationError([{ path: "zone", message: unknownZone(body.zone, this.zones) }]);
      if (reservedProjectName(name, zone)) {
        throw new ValidationError([
          {
            path: "project",
            message: `'${name}' is reserved for the cluster or the platform; choose another name`,
          },
        ]);
      }
      const spec = emptyProjectSpec(name, zone.name, settingsOf(body));
      await queries.lockUserZone(principal.user.id, zone.name);
      await checkProjectCount(queries, principal.user.id, zone);
      const project = await queries.insertProject({
        name,
        zone: zone.name,
        userId: principal.user.id,
        spec,
        revision: 1,
      });
      if (!project) {
        throw new ConflictError(
          `the project name '${name}' is taken in zone '${zone.name}'; project names are namespaces, choose another`,
          {},
          "name-taken",
        );
      }
      // After the insert, so that a name another member holds is still answered as taken; a
      // refusal here rolls the insert back.
      await requireNamespaceAbsent(this.clusters, zone, name);
      const operation = await this.record(queries, principal, project, "update", `PUT projects/${name}`, 1);
      return { operation, project, created: true };
    });
    this.jobs.wake();
    return result;
  }

  /** Destroys a project's stack and then forgets the project; `undefined` when there is none. */
  async deleteProject(principal: Principal, name: string): Promise<Accepted | undefined> {
    requireWrite(principal);
    const result = await this.store.transaction(async (queries) => {
      const existing = await queries.findProject(principal.user.id, name, { forUpdate: true });
      if (!existing) {
        if (principal.projectId !== null) throw new NotFoundError(`project '${name}'`);
        return undefined;
      }
      const project = await projectOf(queries, principal, name, { forUpdate: true });
      requireProjectOwner(principal, "delete the project");
      const revision = project.revision + 1;
      await queries.setProjectSpec(project.id, project.spec, revision, "deleting");
      const operation = await this.record(
        queries,
        principal,
        project,
        "destroy",
        `DELETE projects/${name}`,
        revision,
      );
      return { operation, project };
    });
    if (result) this.jobs.wake();
    return result;
  }

  /** Replaces (or adds) one app, database, bucket or volume. */
  async putItem<C extends ClaimKindName>(
    principal: Principal,
    projectName: string,
    collection: C,
    item: ClaimItem<C>,
  ): Promise<Accepted> {
    return definite(
      await this.changeByName(principal, projectName, `PUT ${collection}/${item.name}`, (spec) =>
        putItem(spec, collection, item),
      ),
    );
  }

  /** Applies a JSON merge patch to an existing item; 404 when it does not exist. */
  async patchItem(
    principal: Principal,
    projectName: string,
    collection: ClaimKindName,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<Accepted> {
    return definite(
      await this.changeByName(principal, projectName, `PATCH ${collection}/${name}`, (spec) => {
        const current = findItem(spec, collection, name);
        if (!current) throw new NotFoundError(`${CLAIM_KINDS[collection].singular} '${name}'`);
        const merged = mergePatch(current, patch) as { name?: unknown };
        if (merged.name !== name) {
          throw new ValidationError([
            { path: "name", message: `cannot be changed (it is '${name}' in the URL)` },
          ]);
        }
        // The merged item is parsed once, with field paths relative to it as for PUT.
        return putItem(spec, collection, parseItem(collection, merged));
      }),
    );
  }

  /** Removes an item; `undefined` when it did not exist (nothing to do, still a success). */
  async deleteItem(
    principal: Principal,
    projectName: string,
    collection: ClaimKindName,
    name: string,
  ): Promise<Accepted | undefined> {
    return this.changeByName(principal, projectName, `DELETE ${collection}/${name}`, (spec) =>
      findItem(spec, collection, name) ? removeItem(spec, collection, name) : undefined,
    );
  }

  /**
   * A change outside the spec (secret variables, registry credentials): `write` stores it inside
   * the transaction and says whether anything changed; a change rolls the stack out at a new
   * revision of the same spec, as an operation like any other.
   */
  async changeOutsideSpec(
    principal: Principal,
    projectName: string,
    request: string,
    write: (queries: Queries, project: ProjectRow) => Promise<boolean>,
  ): Promise<Accepted | undefined> {
    requireWrite(principal);
    const result = await this.store.transaction(async (queries) => {
      const project = await projectOf(queries, principal, projectName, { forUpdate: true });
      if (project.status === "deleting") {
        throw new ConflictError(`project '${project.name}' is being deleted`, {}, "project-deleting");
      }
      if (!(await write(queries, project))) return undefined;
      const revision = project.revision + 1;
      await queries.setProjectSpec(project.id, project.spec, revision);
      const operation = await this.record(queries, principal, project, "update", request, revision);
      return { operation, project: { ...project, revision } };
    });
    if (result) this.jobs.wake();
    return result;
  }

  private async changeByName(
    principal: Principal,
    projectName: string,
    request: string,
    mutate: (spec: ProjectSpec) => ProjectSpec | undefined,
  ): Promise<Accepted | undefined> {
    requireWrite(principal);
    const result = await this.store.transaction(async (queries) => {
      const project = await projectOf(queries, principal, projectName, { forUpdate: true });
      return this.change(queries, principal, project, request, mutate);
    });
    if (result) this.jobs.wake();
    return result;
  }

  /** `undefined` when `mutate` says there is nothing to change. */
  private async change(
    queries: Queries,
    principal: Principal,
    project: ProjectRow,
    request: string,
    mutate: (spec: ProjectSpec) => ProjectSpec | undefined,
  ): Promise<Accepted | undefined> {
    if (project.status === "deleting") {
      throw new ConflictError(`project '${project.name}' is being deleted`, {}, "project-deleting");
    }
    const zone = this.zoneOf(project);
    const before = project.spec;
    const after = mutate(before);
    if (after === undefined) return undefined;
    if (sameSpec(before, after) && (await stackSettled(queries, project))) {
      return { operation: await this.recordUnchanged(queries, principal, project, request), project };
    }
    requireAllowedRegistries(after, zone);
    checkSpecLimits(before, after, zone);
    await queries.lockUserZone(principal.user.id, zone.name);
    await queries.lockZoneUsage(zone.name);
    const admission = await admitChange(queries, principal.user, zone, project, after);
    if (!admission.admitted) {
      const figures = {
        used: roundUsage(admission.used),
        share: roundUsage(admission.share),
        asked: roundUsage(admission.asked),
      };
      if (admission.reason === "zone" && admission.zoneFree) {
        throw new ZoneFullError(zone.name, admission.exceeded, {
          ...figures,
          zoneFree: roundUsage(admission.zoneFree),
        });
      }
      throw new QuotaExceededError(zone.name, admission.exceeded, figures);
    }
    const revision = project.revision + 1;
    await queries.setProjectSpec(project.id, after, revision);
    const operation = await this.record(queries, principal, project, "update", request, revision);
    return { operation, project: { ...project, revision } };
  }

  private async record(
    queries: Queries,
    principal: Principal,
    project: ProjectRow,
    kind: OperationKind,
    request: string,
    revision: number,
  ): Promise<OperationRow> {
    const operation = await queries.insertOperation({
      userId: principal.user.id,
      projectId: project.id,
      project: project.name,
      zone: project.zone,
      kind,
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
    return operation;
  }

  /** An operation that is over as it is made: the request asked for what already runs. */
  private async recordUnchanged(
    queries: Queries,
    principal: Principal,
    project: ProjectRow,
    request: string,
  ): Promise<OperationRow> {
    const now = new Date();
    return queries.insertOperation({
      userId: principal.user.id,
      projectId: project.id,
      project: project.name,
      zone: project.zone,
      kind: "update",
      request,
      revision: project.revision,
      status: "succeeded",
      message: UNCHANGED_MESSAGE,
      startedAt: now,
      finishedAt: now,
    });
  }

  private zoneOf(project: ProjectRow): ZoneSpec {
    const zone = this.zones.get(project.zone);
    if (!zone) throw new ConflictError(`zone '${project.zone}' is no longer offered`, {}, "zone-gone");
    return zone;
  }
}

function definite(accepted: Accepted | undefined): Accepted {
  if (!accepted) throw new Error("a change that always changes the spec returned nothing");
  return accepted;
}

function settingsOf(body: ProjectSettings): ProjectSettings {
  return body.internetEgress === undefined ? {} : { internetEgress: body.internetEgress };
}

export function unknownZone(name: string, zones: ZoneCatalog): string {
  return `unknown zone '${name}'; zones: ${zones
    .list()
    .map((zone) => zone.name)
    .join(", ")}`;
}
