import type { SecretEnvRow } from "./schema.js";
import type { Db } from "./store.js";

/** What a list of secret variables shows: names and when they were set, never values. */
export type SecretEnvName = Pick<SecretEnvRow, "app" | "name" | "setAt">;

/** Apps' secret variables, stored sealed. */
export class SecretEnvRows {
  constructor(private readonly db: Db) {}

  /** Sets one variable, replacing its value and time when it exists. */
  async set(row: { projectId: string; app: string; name: string; sealed: string }): Promise<void> {
    await this.db
      .insertInto("secretEnv")
      .values(row)
      .onConflict((oc) =>
        oc.columns(["projectId", "app", "name"]).doUpdateSet({ sealed: row.sealed, setAt: new Date() }),
      )
      .execute();
  }

  /** Whether a variable was there to delete. */
  async delete(projectId: string, app: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("secretEnv")
      .where("projectId", "=", projectId)
      .where("app", "=", app)
      .where("name", "=", name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async names(projectId: string, app: string): Promise<SecretEnvName[]> {
    return this.db
      .selectFrom("secretEnv")
      .select(["app", "name", "setAt"])
      .where("projectId", "=", projectId)
      .where("app", "=", app)
      .orderBy("name")
      .execute();
  }

  async count(projectId: string, app: string): Promise<number> {
    const row = await this.db
      .selectFrom("secretEnv")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("projectId", "=", projectId)
      .where("app", "=", app)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Every variable of the project, sealed, for a run to open. */
  async sealed(projectId: string): Promise<SecretEnvRow[]> {
    return this.db.selectFrom("secretEnv").selectAll().where("projectId", "=", projectId).execute();
  }
}
