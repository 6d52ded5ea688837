import type { Db } from "./store.js";

/** A stored browser session: whose token it stands for, its CSRF token and its end. */
export interface WebSessionRow {
  readonly tokenId: string;
  readonly tokenHash: string;
  readonly csrf: string;
  readonly expiresAt: Date;
}

/**
 * Browser sessions in the service's PostgreSQL, so that every service process knows every
 * session (DESIGN.md "Scale-out"). Keyed by the SHA-256 of the cookie's secret: a copy of the
 * table does not sign anyone in.
 */
export class WebSessions {
  constructor(private readonly db: Db) {}

  async insert(session: { hash: string; tokenId: string; csrf: string; expiresAt: Date }): Promise<void> {
    await this.db.insertInto("webSessions").values(session).execute();
  }

  /** The live session of a cookie's hash, with its token's hash; none once expired. */
  async find(hash: string): Promise<WebSessionRow | undefined> {
    return this.db
      .selectFrom("webSessions")
      .innerJoin("tokens", "tokens.id", "webSessions.tokenId")
      .select([
        "webSessions.tokenId",
        "tokens.hash as tokenHash",
        "webSessions.csrf",
        "webSessions.expiresAt",
      ])
      .where("webSessions.hash", "=", hash)
      .where("webSessions.expiresAt", ">", new Date())
      .executeTakeFirst();
  }

  async delete(hash: string): Promise<void> {
    await this.db.deleteFrom("webSessions").where("hash", "=", hash).execute();
  }

  /** Forgets sessions that ended before `now`; returns how many. */
  async pruneExpired(now = new Date()): Promise<number> {
    const result = await this.db.deleteFrom("webSessions").where("expiresAt", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
