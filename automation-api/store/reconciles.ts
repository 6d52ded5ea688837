import { sql } from "kysely";
import type { ReconcileResult, ReconcileRow } from "./schema.js";
import type { Db } from "./store.js";

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

  /** The reconcile rows of several projects, by project id. */
  async findMany(projectIds: readonly string[]): Promise<Map<string, ReconcileRow>> {
    if (projectIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom("reconciles")
      .selectAll()
      .where("projectId", "in", projectIds)
      .execute();
    return new Map(rows.map((row) => [row.projectId, row]));
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
