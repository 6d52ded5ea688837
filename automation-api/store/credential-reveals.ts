import type { CredentialRevealRow } from "./schema.js";
import type { Db } from "./store.js";

/** The record of credentials members have read: an audit trail, never the credentials. */
export class CredentialReveals {
  constructor(private readonly db: Db) {}

  async record(reveal: {
    projectId: string;
    userId: string;
    tokenId: string;
    kind: CredentialRevealRow["kind"];
    item: string;
  }): Promise<CredentialRevealRow> {
    return this.db.insertInto("credentialReveals").values(reveal).returningAll().executeTakeFirstOrThrow();
  }

  /** A project's reveals, the oldest first. */
  async list(projectId: string): Promise<CredentialRevealRow[]> {
    return this.db
      .selectFrom("credentialReveals")
      .selectAll()
      .where("projectId", "=", projectId)
      .orderBy("revealedAt")
      .orderBy("id")
      .execute();
  }
}
