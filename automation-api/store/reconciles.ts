import { sql } from "kysely";
import type { ProjectRow, ReconcileResult, ReconcileRow } from "./schema.js";
import { projectRow, type Db } from "./store.js";

/** A project that is due for a reconcile. */
export interface DueReconcile {
  readonly projectId: string;
  readonly userId: string;
  readonly name: string;
  readonly zone: string;
  readonly failures: number;
}

/** The reconciler's schedule and last outcome per project. */
export class ReconcileRows {
  constructor(private readonly db: Db) {}

  /**
   * Gives every deployed project without a schedule its first due time, `delaySeconds(zone)`
   * from now; returns how many it scheduled.
   */
  async scheduleNew(delaySeconds: (zone: string) => number): Promise<number> {
    const unscheduled = await this.db
      .selectFrom("projects")
      .leftJoin("reconciles", "reconciles.projectId", "projects.id")
      .select(["projects.id", "projects.zone"])
      .where("reconciles.projectId", "is", null)
      .where("projects.status", "=", "active")
      .where("projects.appliedRevision", ">", 0)
      .execute();
    if (unscheduled.length === 0) return 0;
    const now = Date.now();
    await this.db
      .insertInto("reconciles")
      .values(
        unscheduled.map((project) => ({
          projectId: project.id,
          nextAt: new Date(now + delaySeconds(project.zone) * 1000),
        })),
      )
      .onConflict((oc) => oc.column("projectId").doNothing())
      .execute();
    return unscheduled.length;
  }

  /**
   * Up to `limit` due projects, locked for the caller's transaction and skipped by other
   * processes' schedulers meanwhile (`skip locked`), oldest due first.
   */
  async lockDue(limit: number): Promise<DueReconcile[]> {
    return this.db
      .selectFrom("reconciles")
      .innerJoin("projects", "projects.id", "reconciles.projectId")
      .select([
        "reconciles.projectId",
        "projects.userId",
        "projects.name",
        "projects.zone",
        "reconciles.failures",
      ])
      .where("reconciles.nextAt", "<=", sql<Date>`now()`)
      .where("projects.status", "=", "active")
      .orderBy("reconciles.nextAt")
      .limit(limit)
      .forUpdate("reconciles")
      .skipLocked()
      .execute();
  }

  /** Moves a project's next reconcile to `nextAt`. */
  async postpone(projectId: string, nextAt: Date): Promise<void> {
    await this.db.updateTable("reconciles").set({ nextAt }).where("projectId", "=", projectId).execute();
  }

  async find(projectId: string): Promise<ReconcileRow | undefined> {
    return this.db.selectFrom("reconciles").selectAll().where("projectId", "=", projectId).executeTakeFirst();
  }

  /**
   * A user's project by name with its reconcile row, in one round trip: the project's page
   * is the API's most frequent read.
   */
  async findProjectWithReconcile(userId: string, name: string): Promise<ProjectWithReconcile | undefined> {
    const row = await this.projectsWithReconciles(userId)
      .where("projects.name", "=", name)
      .executeTakeFirst();
    return row && splitReconcile(row);
  }

  /** A user's projects by name, each with its reconcile row, in one round trip. */
  async listProjectsWithReconciles(userId: string): Promise<ProjectWithReconcile[]> {
    const rows = await this.projectsWithReconciles(userId).orderBy("projects.name").execute();
    return rows.map(splitReconcile);
  }

  private projectsWithReconciles(userId: string) {
    return this.db
      .selectFrom("projects")
      .leftJoin("reconciles", "reconciles.projectId", "projects.id")
      .selectAll("projects")
      .select([
        "reconciles.projectId as reconcileProjectId",
        "reconciles.nextAt as reconcileNextAt",
        "reconciles.lastAt as reconcileLastAt",
        "reconciles.lastResult as reconcileLastResult",
        "reconciles.lastMessage as reconcileLastMessage",
        "reconciles.lastOperationId as reconcileLastOperationId",
        "reconciles.failures as reconcileFailures",
      ])
      .where("projects.userId", "=", userId);
  }

  /** Says on a repair's operation what drifted; a run that succeeds leaves no message of its own. */
  async describeRepair(operationId: string, message: string): Promise<void> {
    await this.db.updateTable("operations").set({ message }).where("id", "=", operationId).execute();
  }

  /** Records how a reconcile ended and when the next one is due. */
  async record(
    projectId: string,
    outcome: {
      readonly result: ReconcileResult;
      readonly message: string | null;
      readonly operationId: string | null;
      readonly failures: number;
      readonly nextAt: Date;
    },
  ): Promise<void> {
    const values = {
      lastAt: new Date(),
      lastResult: outcome.result,
      lastMessage: outcome.message,
      failures: outcome.failures,
      nextAt: outcome.nextAt,
      // A reconcile that found nothing keeps the link to the last repair.
      ...(outcome.operationId ? { lastOperationId: outcome.operationId } : {}),
    };
    await this.db
      .insertInto("reconciles")
      .values({ projectId, ...values })
      .onConflict((oc) => oc.column("projectId").doUpdateSet(values))
      .execute();
  }
}

/** A project with its reconcile row; `undefined` before its first schedule. */
export interface ProjectWithReconcile {
  readonly project: ProjectRow;
  readonly reconcile: ReconcileRow | undefined;
}

type JoinedRow = Parameters<typeof projectRow>[0] & {
  readonly reconcileProjectId: string | null;
  readonly reconcileNextAt: Date | null;
  readonly reconcileLastAt: Date | null;
  readonly reconcileLastResult: ReconcileResult | null;
  readonly reconcileLastMessage: string | null;
  readonly reconcileLastOperationId: string | null;
  readonly reconcileFailures: number | null;
};

function splitReconcile(row: JoinedRow): ProjectWithReconcile {
  const {
    reconcileProjectId,
    reconcileNextAt,
    reconcileLastAt,
    reconcileLastResult,
    reconcileLastMessage,
    reconcileLastOperationId,
    reconcileFailures,
    ...project
  } = row;
  const reconcile =
    reconcileProjectId === null || reconcileNextAt === null
      ? undefined
      : {
          projectId: reconcileProjectId,
          nextAt: reconcileNextAt,
          lastAt: reconcileLastAt,
          lastResult: reconcileLastResult,
          lastMessage: reconcileLastMessage,
          lastOperationId: reconcileLastOperationId,
          failures: reconcileFailures ?? 0,
        };
  return { project: projectRow(project), reconcile };
}
