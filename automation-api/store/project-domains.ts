import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { ProjectDomainRow, ProjectDomainsTable } from "./schema.js";
import type { Db } from "./store.js";

/** What a check or a member's request changes of a domain's row. */
export type DomainChange = Partial<
  Pick<
    ProjectDomainRow,
    "state" | "checkedAt" | "nextCheckAt" | "verifiedAt" | "lapsedAt" | "missedChecks" | "problem"
  >
>;

/** Projects' custom domains and the tokens their TXT records carry. */
export class ProjectDomainRows {
  constructor(private readonly db: Db) {}

  /** Every domain of a project, by name. */
  async list(projectId: string): Promise<ProjectDomainRow[]> {
    return this.db
      .selectFrom("projectDomains")
      .selectAll()
      .where("projectId", "=", projectId)
      .orderBy("domain")
      .execute();
  }

  async find(projectId: string, domain: string): Promise<ProjectDomainRow | undefined> {
    return this.db
      .selectFrom("projectDomains")
      .selectAll()
      .where("projectId", "=", projectId)
      .where("domain", "=", domain)
      .executeTakeFirst();
  }

  /** Adds a domain as waiting for its record; `undefined` when the project has it already. */
  async insert(row: { projectId: string; zone: string; domain: string; nextCheckAt: Date }) {
    return this.db
      .insertInto("projectDomains")
      .values({ ...row, state: "pending" })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  async update(projectId: string, domain: string, change: DomainChange): Promise<ProjectDomainRow> {
    return this.db
      .updateTable("projectDomains")
      .set(change)
      .where("projectId", "=", projectId)
      .where("domain", "=", domain)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The removed row, or `undefined` when there was none. */
  async delete(projectId: string, domain: string): Promise<ProjectDomainRow | undefined> {
    return this.db
      .deleteFrom("projectDomains")
      .where("projectId", "=", projectId)
      .where("domain", "=", domain)
      .returningAll()
      .executeTakeFirst();
  }

  /** Domains verified in a zone for projects other than `exceptProjectId`. */
  async verifiedInZone(zone: string, exceptProjectId: string): Promise<ProjectDomainRow[]> {
    return this.db
      .selectFrom("projectDomains")
      .selectAll()
      .where("zone", "=", zone)
      .where("state", "=", "verified")
      .where("projectId", "!=", exceptProjectId)
      .execute();
  }

  /**
   * Serialises verifications in a zone, so that two projects never both get overlapping domains
   * (a wildcard and a name under it), which the unique index alone cannot see.
   */
  async lockZone(zone: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${`domains:${zone}`}))`.execute(this.db);
  }

  /**
   * Takes up to `limit` domains of a zone whose check is due and moves their next check on by
   * `intervalSeconds`, in one statement: service processes checking at once take different
   * domains.
   */
  async takeDue(
    zone: string,
    intervalSeconds: number,
    limit: number,
  ): Promise<Pick<ProjectDomainsTable, "projectId" | "domain">[]> {
    const due = this.db
      .selectFrom("projectDomains")
      .select(["projectId", "domain"])
      .where("zone", "=", zone)
      .where("nextCheckAt", "<=", sql<Date>`now()`)
      .orderBy("nextCheckAt")
      .limit(limit)
      .forUpdate()
      .skipLocked();
    return this.db
      .updateTable("projectDomains")
      .set({ nextCheckAt: sql<Date>`now() + make_interval(secs => ${intervalSeconds})` })
      .where((eb) =>
        eb(
          eb.refTuple("projectId", "domain"),
          "in",
          eb
            .selectFrom(due.as("due"))
            .select(["due.projectId", "due.domain"])
            .$asTuple("projectId", "domain"),
        ),
      )
      .returning(["projectId", "domain"])
      .execute();
  }

  /** The project's token for its TXT records, made on first use and kept for the project's life. */
  async tokenOf(projectId: string): Promise<string> {
    await this.db
      .insertInto("domainTokens")
      .values({ projectId, token: randomBytes(18).toString("base64url") })
      .onConflict((oc) => oc.column("projectId").doNothing())
      .execute();
    const row = await this.db
      .selectFrom("domainTokens")
      .select("token")
      .where("projectId", "=", projectId)
      .executeTakeFirstOrThrow();
    return row.token;
  }
}
