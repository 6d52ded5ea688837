import pg from "pg";
import { CamelCasePlugin, CompiledQuery, Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import { Migrator } from "kysely/migration";
import { ProjectSpecSchema, type ProjectSpec } from "../../spec/project.js";
import { toSpecIssues } from "../../spec/errors.js";
import { StoredSpecError } from "../domain/errors.js";
import { migrationProvider } from "./migrations.js";
import type {
  Database,
  EventRow,
  NewOperation,
  OperationRow,
  OperationStatus,
  ProjectRow,
  ProjectStatus,
  StoredProjectRow,
  RunRow,
  RunStatus,
  TokenRow,
  TokenScope,
  UserRow,
} from "./schema.js";

export type Db = Kysely<Database> | Transaction<Database>;

/**
 * A project row with its spec read through the schema, once, as it leaves the store (old rows
 * gain new defaults). A row that does not read is named in the error rather than failing later.
 */
export function projectRow(row: StoredProjectRow): ProjectRow {
  return { ...row, spec: storedSpec(row) };
}

/** The spec of a stored project row, read through the schema; the row's name and zone name it on failure. */
function storedSpec(row: Pick<StoredProjectRow, "name" | "zone" | "spec">): ProjectSpec {
  const result = ProjectSpecSchema.safeParse(row.spec);
  if (!result.success) throw new StoredSpecError(row.name, row.zone, toSpecIssues(result.error));
  return result.data;
}

function maybeProjectRow(row: StoredProjectRow | undefined): ProjectRow | undefined {
  return row === undefined ? undefined : projectRow(row);
}

/** A token with its user, as authentication needs it. */
export interface TokenWithUser extends TokenRow {
  readonly user: UserRow;
}

/** What a SQL runner inside a transaction looks like to pg-boss (`send(..., { db })`). */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Typed queries of the service, usable on the pool or inside a transaction (`store.transaction`).
 */
export class Queries {
  /** `undefined` outside a transaction: what is done is already committed. */
  constructor(
    readonly db: Db,
    private readonly onCommit?: (() => void)[],
  ) {}

  /**
   * Runs `effect` once what these queries did is committed: at once on the pool, after the
   * commit inside a transaction (never, if it rolls back). For effects other code acts on by
   * reading the store, which must not see the transaction's state before it is there.
   */
  afterCommit(effect: () => void): void {
    if (this.onCommit) this.onCommit.push(effect);
    else effect();
  }

  /** Runs raw SQL (e.g. pg-boss's) on this connection or transaction. */
  readonly executor: SqlExecutor = {
    executeSql: async (text, values = []) => {
      const result = await this.db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: [...result.rows] };
    },
  };

  /** Serialises requests that change one user's usage in one zone, so admission sees every change. */
  async lockUserZone(userId: string, zone: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${`usage:${userId}:${zone}`}))`.execute(this.db);
  }

  /**
   * Serialises requests that change any usage in one zone, so that admission against the zone's
   * total sees every change: two members must not both take the zone's last free chunk. Taken
   * after `lockUserZone`, always in that order.
   */
  async lockZoneUsage(zone: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${`usage-zone:${zone}`}))`.execute(this.db);
  }

  // Users

  async createUser(user: { name: string; isAdmin?: boolean; weight?: number }): Promise<UserRow> {
    return this.db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
  }

  async findUserByName(name: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("name", "=", name).executeTakeFirst();
  }

  async findUserById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async listUsers(): Promise<UserRow[]> {
    return this.db.selectFrom("users").selectAll().orderBy("createdAt").orderBy("name").execute();
  }

  async updateUser(id: string, change: { weight?: number; disabledAt?: Date | null }): Promise<UserRow> {
    return this.db
      .updateTable("users")
      .set(change)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async hasAdmin(): Promise<boolean> {
    const row = await this.db.selectFrom("users").select("id").where("isAdmin", "=", true).executeTakeFirst();
    return row !== undefined;
  }

  // Tokens

  async insertToken(token: {
    hash: string;
    prefix: string;
    name: string;
    userId: string;
    projectId?: string | null;
    scope: TokenScope;
    expiresAt?: Date | null;
  }): Promise<TokenRow> {
    return this.db.insertInto("tokens").values(token).returningAll().executeTakeFirstOrThrow();
  }

  async findTokenByHash(hash: string): Promise<TokenWithUser | undefined> {
    const row = await this.db
      .selectFrom("tokens")
      .innerJoin("users", "users.id", "tokens.userId")
      .selectAll("tokens")
      .select([
        "users.name as userName",
        "users.isAdmin as userIsAdmin",
        "users.weight as userWeight",
        "users.createdAt as userCreatedAt",
        "users.disabledAt as userDisabledAt",
      ])
      .where("tokens.hash", "=", hash)
      .executeTakeFirst();
    if (!row) return undefined;
    const { userName, userIsAdmin, userWeight, userCreatedAt, userDisabledAt, ...token } = row;
    return {
      ...token,
      user: {
        id: token.userId,
        name: userName,
        isAdmin: userIsAdmin,
        weight: userWeight,
        createdAt: userCreatedAt,
        disabledAt: userDisabledAt,
      },
    };
  }

  async touchToken(id: string): Promise<void> {
    await this.db.updateTable("tokens").set({ lastUsedAt: new Date() }).where("id", "=", id).execute();
  }

  async listTokens(filter: { userId: string; projectId: string | null }): Promise<TokenRow[]> {
    let query = this.db.selectFrom("tokens").selectAll().where("userId", "=", filter.userId);
    query =
      filter.projectId === null
        ? query.where("projectId", "is", null)
        : query.where("projectId", "=", filter.projectId);
    return query.orderBy("createdAt").execute();
  }

  /** Every project token of a user, of all their projects, oldest first. */
  async listProjectTokensOfUser(userId: string): Promise<TokenRow[]> {
    return this.db
      .selectFrom("tokens")
      .selectAll()
      .where("userId", "=", userId)
      .where("projectId", "is not", null)
      .orderBy("createdAt")
      .execute();
  }

  async findToken(id: string): Promise<TokenRow | undefined> {
    if (!isUuid(id)) return undefined;
    return this.db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async revokeToken(id: string): Promise<void> {
    await this.db
      .updateTable("tokens")
      .set({ revokedAt: new Date() })
      .where("id", "=", id)
      .where("revokedAt", "is", null)
      .execute();
  }

  // Projects

  async findProject(
    userId: string,
    name: string,
    options: { forUpdate?: boolean } = {},
  ): Promise<ProjectRow | undefined> {
    let query = this.db
      .selectFrom("projects")
      .selectAll()
      .where("userId", "=", userId)
      .where("name", "=", name);
    if (options.forUpdate) query = query.forUpdate();
    return maybeProjectRow(await query.executeTakeFirst());
  }

  async findProjectById(id: string, options: { forUpdate?: boolean } = {}): Promise<ProjectRow | undefined> {
    let query = this.db.selectFrom("projects").selectAll().where("id", "=", id);
    if (options.forUpdate) query = query.forUpdate();
    return maybeProjectRow(await query.executeTakeFirst());
  }

  async listProjects(userId: string): Promise<ProjectRow[]> {
    const rows = await this.db
      .selectFrom("projects")
      .selectAll()
      .where("userId", "=", userId)
      .orderBy("name")
      .execute();
    return rows.map(projectRow);
  }

  async insertProject(project: {
    name: string;
    zone: string;
    userId: string;
    spec: ProjectSpec;
    revision: number;
  }): Promise<ProjectRow | undefined> {
    const row = await this.db
      .insertInto("projects")
      .values({ ...project, spec: JSON.stringify(project.spec), status: "active", outputs: "{}" })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    // The spec was parsed by the caller; what was written is what it gave.
    return row === undefined ? undefined : { ...row, spec: project.spec };
  }

  async setProjectSpec(
    id: string,
    spec: ProjectSpec,
    revision: number,
    status?: ProjectStatus,
  ): Promise<void> {
    await this.db
      .updateTable("projects")
      .set({ spec: JSON.stringify(spec), revision, updatedAt: new Date(), ...(status ? { status } : {}) })
      .where("id", "=", id)
      .execute();
  }

  async recordApplied(id: string, revision: number, outputs: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable("projects")
      .set({
        needsRecovery: false,
        appliedRevision: sql<number>`greatest(applied_revision, ${revision})`,
        outputs: JSON.stringify(outputs),
        updatedAt: new Date(),
      })
      .where("id", "=", id)
      .execute();
  }

  async setNeedsRecovery(id: string, needsRecovery: boolean): Promise<void> {
    await this.db.updateTable("projects").set({ needsRecovery }).where("id", "=", id).execute();
  }

  async deleteProject(id: string): Promise<void> {
    await this.db.deleteFrom("projects").where("id", "=", id).execute();
  }

  /**
   * The spec of every project a user has in a zone; all but `except` when given. Only what a
   * share is counted from: the other columns (outputs, times) would be read and parsed for nothing.
   */
  async userProjectsInZone(
    userId: string,
    zone: string,
    except?: string,
  ): Promise<Pick<ProjectRow, "id" | "spec">[]> {
    let query = this.db
      .selectFrom("projects")
      .select(["id", "name", "zone", "spec"])
      .where("userId", "=", userId)
      .where("zone", "=", zone);
    if (except !== undefined) query = query.where("id", "!=", except);
    const rows = await query.execute();
    return rows.map((row) => ({ id: row.id, spec: storedSpec(row) }));
  }

  /**
   * Each project of a zone with a version that changes whenever its spec does (the revision and
   * the time of the last write, so that a rolled-back write's revision cannot name another spec).
   */
  async zoneProjectVersions(zone: string): Promise<{ id: string; version: string }[]> {
    const rows = await this.db
      .selectFrom("projects")
      .select(["id", "revision", "updatedAt"])
      .where("zone", "=", zone)
      .execute();
    return rows.map((row) => ({ id: row.id, version: `${row.revision}@${row.updatedAt.getTime()}` }));
  }

  /**
   * One text that changes whenever any project of the zone is added, removed or changed, so that
   * an unchanged zone is told in one short row: the count of its projects and the sum of one
   * 64-bit hash a project of its id, revision and last write (in microseconds, through a
   * float: `extract` would compute in numeric, twice the time). A sum needs no sort and no text
   * built per row: over a thousand projects, 0.23 ms where an ordered md5 took 0.73 ms. A change
   * moves one term of it, which only a 2^-64 coincidence of two changes at once could cancel.
   */
  async zoneProjectsFingerprint(zone: string): Promise<string> {
    const row = await this.db
      .selectFrom("projects")
      .select(
        sql<string>`count(*) || ':' || coalesce(sum(uuid_hash_extended(id, revision) # (date_part('epoch', updated_at) * 1000000)::bigint), 0)`.as(
          "fingerprint",
        ),
      )
      .where("zone", "=", zone)
      .executeTakeFirstOrThrow();
    return row.fingerprint;
  }

  /** The specs of the given projects, with the versions `zoneProjectVersions` gives. */
  async projectSpecsWithVersions(
    ids: readonly string[],
  ): Promise<(Pick<ProjectRow, "id" | "spec"> & { version: string })[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom("projects")
      .select(["id", "name", "zone", "spec", "revision", "updatedAt"])
      .where("id", "in", ids)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      spec: storedSpec(row),
      version: `${row.revision}@${row.updatedAt.getTime()}`,
    }));
  }

  /** How many projects a user has in a zone, those being deleted included. */
  async countUserProjectsInZone(userId: string, zone: string): Promise<number> {
    const row = await this.db
      .selectFrom("projects")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("userId", "=", userId)
      .where("zone", "=", zone)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Weights of the zone's active users: those with at least one project there. */
  async activeWeights(zone: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom("users")
      .select(["users.id", "users.weight"])
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("projects")
            .select("projects.id")
            .whereRef("projects.userId", "=", "users.id")
            .where("projects.zone", "=", zone),
        ),
      )
      .execute();
    return new Map(rows.map((row) => [row.id, row.weight]));
  }

  // Operations

  async insertOperation(operation: NewOperation): Promise<OperationRow> {
    return this.db.insertInto("operations").values(operation).returningAll().executeTakeFirstOrThrow();
  }

  async findOperation(id: string): Promise<OperationRow | undefined> {
    if (!isUuid(id)) return undefined;
    return this.db.selectFrom("operations").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async listOperations(projectId: string, limit = 50): Promise<OperationRow[]> {
    return this.db
      .selectFrom("operations")
      .selectAll()
      .where("projectId", "=", projectId)
      .orderBy("createdAt", "desc")
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /**
   * A page of a project's operations, newest first. Each comes with its sort key (creation time
   * in microseconds, as stored, and id), which `after` takes from the previous page's last one.
   */
  async operationsPage(
    projectId: string,
    limit: number,
    after?: readonly [string, string],
  ): Promise<{ operation: OperationRow; key: [string, string] }[]> {
    const micros = sql<string>`(extract(epoch from operations.created_at) * 1000000)::bigint`;
    let query = this.db
      .selectFrom("operations")
      .selectAll()
      .select(sql<string>`${micros}::text`.as("pageMicros"))
      .where("projectId", "=", projectId);
    if (after) query = query.where(sql<boolean>`(${micros}, id) < (${after[0]}::bigint, ${after[1]}::uuid)`);
    const rows = await query.orderBy("createdAt", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(({ pageMicros, ...operation }) => ({ operation, key: [pageMicros, operation.id] }));
  }

  /**
   * Deletes operations finished before `before`, then the runs (and with them their events) that
   * finished before it and no longer serve any operation. Returns how many of each went.
   */
  async pruneFinished(before: Date): Promise<{ operations: number; runs: number }> {
    const operations = await this.db
      .deleteFrom("operations")
      .where("status", "in", ["succeeded", "failed"])
      .where("finishedAt", "<", before)
      .executeTakeFirst();
    const runs = await this.db
      .deleteFrom("runs")
      .where("finishedAt", "<", before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(selectFrom("operationRuns").select("runId").whereRef("operationRuns.runId", "=", "runs.id")),
        ),
      )
      .executeTakeFirst();
    return { operations: Number(operations.numDeletedRows), runs: Number(runs.numDeletedRows) };
  }

  /** Operations of a project not yet finished, up to a revision: what a run at that revision covers. */
  async claimOperations(projectId: string, revision: number, runId: string): Promise<OperationRow[]> {
    const claimed = await this.db
      .updateTable("operations")
      .set({ status: "running", startedAt: sql<Date>`coalesce(started_at, now())` })
      .where("projectId", "=", projectId)
      .where("status", "in", ["queued", "running"])
      .where("revision", "<=", revision)
      .returningAll()
      .execute();
    if (claimed.length > 0) {
      await this.db
        .insertInto("operationRuns")
        .values(claimed.map((operation) => ({ operationId: operation.id, runId })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    return claimed;
  }

  /** How many of a user's projects other than `except` have operations waiting or running. */
  async memberBacklog(userId: string, except: string): Promise<number> {
    const row = await this.db
      .selectFrom("operations")
      .innerJoin("projects", "projects.id", "operations.projectId")
      .select((eb) => eb.fn.count<string>("operations.projectId").distinct().as("count"))
      .where("projects.userId", "=", userId)
      .where("operations.projectId", "!=", except)
      .where("operations.status", "in", ["queued", "running"])
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async pendingOperationCount(projectId: string): Promise<number> {
    const row = await this.db
      .selectFrom("operations")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("projectId", "=", projectId)
      .where("status", "in", ["queued", "running"])
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async finishOperations(
    ids: readonly string[],
    status: OperationStatus,
    message: string | null,
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable("operations")
      .set({ status, message, finishedAt: new Date() })
      .where("id", "in", ids)
      .where("status", "in", ["queued", "running"])
      .execute();
  }

  // Runs and events

  async insertRun(run: {
    jobId: string;
    projectId: string;
    stack: string;
    kind: "update" | "destroy";
    revision: number;
    attempt: number;
    worker: string;
  }): Promise<RunRow> {
    return this.db
      .insertInto("runs")
      .values({ ...run, status: "running" })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async finishRun(id: string, status: RunStatus, message: string | null): Promise<void> {
    await this.db
      .updateTable("runs")
      .set({ status, message, finishedAt: new Date() })
      .where("id", "=", id)
      .execute();
  }

  /** Runs of a project still marked running: when the caller holds the stack's lock, their workers died. */
  async runningRuns(projectId: string): Promise<RunRow[]> {
    return this.db
      .selectFrom("runs")
      .selectAll()
      .where("projectId", "=", projectId)
      .where("status", "=", "running")
      .execute();
  }

  async runsOfJob(jobId: string): Promise<RunRow[]> {
    return this.db.selectFrom("runs").selectAll().where("jobId", "=", jobId).orderBy("startedAt").execute();
  }

  async operationsOfRuns(runIds: readonly string[]): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db
      .selectFrom("operationRuns")
      .select("operationId")
      .distinct()
      .where("runId", "in", runIds)
      .execute();
    return rows.map((row) => row.operationId);
  }

  async insertEvents(runId: string, events: readonly { type: string; data: Record<string, unknown> }[]) {
    if (events.length === 0) return;
    await this.db
      .insertInto("events")
      .values(events.map((event) => ({ runId, type: event.type, data: JSON.stringify(event.data) })))
      .execute();
  }

  /** Events of every run that covered an operation, after an event id, oldest first. */
  async operationEvents(operationId: string, afterId = "0", limit = 1000): Promise<EventRow[]> {
    return this.db
      .selectFrom("events")
      .innerJoin("operationRuns", "operationRuns.runId", "events.runId")
      .selectAll("events")
      .where("operationRuns.operationId", "=", operationId)
      .where("events.id", ">", afterId)
      .orderBy("events.id")
      .limit(limit)
      .execute();
  }
}

/** A UUID as PostgreSQL writes it. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** How long a pooled connection may sit unused before it is closed. */
const IDLE_CONNECTION_MS = 5 * 60_000;

/** The service's PostgreSQL: a pool, typed queries and migrations. */
export class Store extends Queries {
  private constructor(
    readonly kysely: Kysely<Database>,
    readonly pool: pg.Pool,
  ) {
    super(kysely);
  }

  static connect(connectionString: string, options: { max?: number } = {}): Store {
    // Connections stay open for minutes, not pg's default ten seconds: the pool hands out the
    // connection used last, so under a steady load its others idled out and were opened again
    // at the next burst, each a backend's start and a password exchange amid the requests
    // (B6: nine in a 30 s load, where the slow answers came).
    const pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      idleTimeoutMillis: IDLE_CONNECTION_MS,
    });
    // A client losing its connection must not take the process down: an idle one emits on the
    // pool, one checked out (between a query and the next) on itself; its query fails anyway.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    const kysely = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      // Column names only: a JSON column's keys are the service's own (or a member's, such as
      // environment variable names) and come back as they were written.
      plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
    });
    return new Store(kysely, pool);
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.kysely, provider: migrationProvider });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((result) => result.status === "Error");
    if (error || failed) {
      const cause = error instanceof Error ? error.message : String(error ?? "");
      throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${cause}`);
    }
  }

  async transaction<T>(work: (queries: Queries) => Promise<T>): Promise<T> {
    const onCommit: (() => void)[] = [];
    const result = await this.kysely.transaction().execute((trx) => work(new Queries(trx, onCommit)));
    for (const effect of onCommit) effect();
    return result;
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
  }
}
