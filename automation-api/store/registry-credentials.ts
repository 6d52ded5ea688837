import type { RegistryCredentialRow } from "./schema.js";
import type { Db } from "./store.js";

/** Projects' private registry credentials, stored sealed. */
export class RegistryCredentialRows {
  constructor(private readonly db: Db) {}

  /** Sets one registry's credentials, replacing them and their time when they exist. */
  async set(row: { projectId: string; server: string; sealed: string }): Promise<void> {
    await this.db
      .insertInto("registryCredentials")
      .values(row)
      .onConflict((oc) =>
        oc.columns(["projectId", "server"]).doUpdateSet({ sealed: row.sealed, setAt: new Date() }),
      )
      .execute();
  }

  /** Whether there were credentials to delete. */
  async delete(projectId: string, server: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("registryCredentials")
      .where("projectId", "=", projectId)
      .where("server", "=", server)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Every registry of the project, sealed, ordered by server. */
  async list(projectId: string): Promise<RegistryCredentialRow[]> {
    return this.db
      .selectFrom("registryCredentials")
      .selectAll()
      .where("projectId", "=", projectId)
      .orderBy("server")
      .execute();
  }
}
