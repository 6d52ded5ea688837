import { sql, type Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";

/**
 * Migrations as code, applied in key order on every start. Each one is written against
 * `Kysely<unknown>` so that later changes of the row types cannot alter what an old migration did.
 */
const migrations: Record<string, Migration> = {
  "0001-initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("users")
        .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("is_admin", "boolean", (c) => c.notNull().defaultTo(false))
        .addColumn("weight", "double precision", (c) =>
          c
            .notNull()
            .defaultTo(1)
            .check(sql`weight > 0`),
        )
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      await db.schema
        .createTable("projects")
        .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("zone", "text", (c) => c.notNull())
        .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("spec", "jsonb", (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("applied_revision", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('active', 'deleting')`))
        .addColumn("outputs", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn("needs_recovery", "boolean", (c) => c.notNull().defaultTo(false))
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        // The name is the namespace in the zone's cluster: one holder per zone.
        .addUniqueConstraint("projects_name_zone_key", ["name", "zone"])
        // URLs name a project without its zone: one zone per project name for each user.
        .addUniqueConstraint("projects_user_name_key", ["user_id", "name"])
        .execute();
      await db.schema
        .createIndex("projects_user_zone_idx")
        .on("projects")
        .columns(["user_id", "zone"])
        .execute();

      await db.schema
        .createTable("tokens")
        .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn("hash", "text", (c) => c.notNull().unique())
        .addColumn("prefix", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("project_id", "uuid", (c) => c.references("projects.id").onDelete("cascade"))
        .addColumn("scope", "text", (c) => c.notNull().check(sql`scope in ('user', 'read', 'deploy')`))
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("revoked_at", "timestamptz")
        .addColumn("last_used_at", "timestamptz")
        .addCheckConstraint("tokens_project_scope", sql`(project_id is null) = (scope = 'user')`)
        .execute();

      await db.schema
        .createTable("operations")
        .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("project_id", "uuid", (c) => c.references("projects.id").onDelete("set null"))
        .addColumn("project", "text", (c) => c.notNull())
        .addColumn("zone", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('update', 'destroy')`))
        .addColumn("request", "text", (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) =>
          c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed')`),
        )
        .addColumn("message", "text")
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("started_at", "timestamptz")
        .addColumn("finished_at", "timestamptz")
        .execute();
      await db.schema
        .createIndex("operations_project_idx")
        .on("operations")
        .columns(["project_id", "status", "revision"])
        .execute();

      await db.schema
        .createTable("runs")
        .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn("job_id", "text", (c) => c.notNull())
        .addColumn("project_id", "uuid", (c) => c.references("projects.id").onDelete("set null"))
        .addColumn("stack", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("message", "text")
        .addColumn("worker", "text", (c) => c.notNull())
        .addColumn("started_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("finished_at", "timestamptz")
        .execute();
      await db.schema.createIndex("runs_job_idx").on("runs").column("job_id").execute();
      await db.schema.createIndex("runs_project_idx").on("runs").columns(["project_id", "status"]).execute();

      await db.schema
        .createTable("operation_runs")
        .addColumn("operation_id", "uuid", (c) => c.notNull().references("operations.id").onDelete("cascade"))
        .addColumn("run_id", "uuid", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addPrimaryKeyConstraint("operation_runs_pkey", ["operation_id", "run_id"])
        .execute();
      await db.schema.createIndex("operation_runs_run_idx").on("operation_runs").column("run_id").execute();

      await db.schema
        .createTable("events")
        .addColumn("id", "bigserial", (c) => c.primaryKey())
        .addColumn("run_id", "uuid", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("data", "jsonb", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("events_run_idx").on("events").columns(["run_id", "id"]).execute();
    },
  },
  "0002-token-expiry-disabled-users-rate-limits": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("tokens").addColumn("expires_at", "timestamptz").execute();
      await db.schema.alterTable("users").addColumn("disabled_at", "timestamptz").execute();
      // Counters of the rate limits, shared by every service process; one row per key and window.
      await db.schema
        .createTable("rate_limits")
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("window_start", "timestamptz", (c) => c.notNull())
        .addColumn("count", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("rate_limits_pkey", ["key", "window_start"])
        .execute();
      await db.schema
        .createIndex("rate_limits_window_idx")
        .on("rate_limits")
        .column("window_start")
        .execute();
    },
  },
  "0003-retention-and-pages": {
    // The prune looks for finished operations and runs by age; lists page operations by time.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex("operations_finished_idx").on("operations").column("finished_at").execute();
      await db.schema.createIndex("runs_finished_idx").on("runs").column("finished_at").execute();
      await db.schema
        .createIndex("operations_project_created_idx")
        .on("operations")
        .columns(["project_id", "created_at desc", "id desc"])
        .execute();
    },
  },
  "0004-credential-reveals": {
    // Who read which claim's credentials and when; the credentials themselves are never stored.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("credential_reveals")
        .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("token_id", "uuid", (c) => c.references("tokens.id").onDelete("set null"))
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('database', 'bucket')`))
        .addColumn("item", "text", (c) => c.notNull())
        .addColumn("revealed_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex("credential_reveals_project_idx")
        .on("credential_reveals")
        .columns(["project_id", "revealed_at desc", "id desc"])
        .execute();
    },
  },
  "0005-secret-env": {
    // Apps' secret variables, each value sealed with the operator's key (domain/secret-box.ts).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("secret_env")
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("sealed", "text", (c) => c.notNull())
        .addColumn("set_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint("secret_env_pkey", ["project_id", "app", "name"])
        .execute();
    },
  },
  "0006-registry-credentials": {
    // Per-project credentials of private registries; the password only sealed.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("registry_credentials")
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("server", "text", (c) => c.notNull())
        .addColumn("sealed", "text", (c) => c.notNull())
        .addColumn("set_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint("registry_credentials_pkey", ["project_id", "server"])
        .execute();
    },
  },
  "0007-reconciles": {
    // The reconciler's schedule and last outcome per project (jobs/reconciler.ts).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("reconciles")
        .addColumn("project_id", "uuid", (c) => c.primaryKey().references("projects.id").onDelete("cascade"))
        .addColumn("next_at", "timestamptz", (c) => c.notNull())
        .addColumn("last_at", "timestamptz")
        .addColumn("last_result", "text", (c) =>
          c.check(sql`last_result in ('in-sync', 'repaired', 'failed')`),
        )
        .addColumn("last_message", "text")
        .addColumn("last_operation_id", "uuid")
        .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("reconciles_next_at_idx").on("reconciles").column("next_at").execute();
    },
  },
  "0008-database-limits": {
    // Each project database's last measurement against its size limit, and the changes of its
    // writes that its member reads as events.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("database_limits")
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("database", "text", (c) => c.notNull())
        .addColumn("writes", "text", (c) => c.notNull().check(sql`writes in ('accepted', 'refused')`))
        .addColumn("refused_at_limit_bytes", "bigint")
        .addColumn("size_bytes", "bigint", (c) => c.notNull())
        .addColumn("limit_bytes", "bigint", (c) => c.notNull())
        .addColumn("measured_at", "timestamptz", (c) => c.notNull())
        .addColumn("changed_at", "timestamptz", (c) => c.notNull())
        .addColumn("error", "text")
        .addPrimaryKeyConstraint("database_limits_pkey", ["project_id", "database"])
        .execute();
      await db.schema
        .createTable("database_limit_events")
        .addColumn("id", "bigserial", (c) => c.primaryKey())
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("database", "text", (c) => c.notNull())
        .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("size_bytes", "bigint", (c) => c.notNull())
        .addColumn("limit_bytes", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("database_limit_events_item_idx")
        .on("database_limit_events")
        .columns(["project_id", "database", "id desc"])
        .execute();
    },
  },
  "0009-custom-domains": {
    // Custom domains and their DNS verification; the index makes a verified domain one
    // project's in its zone even when two service processes verify it at once.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("project_domains")
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("zone", "text", (c) => c.notNull())
        .addColumn("domain", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull().check(sql`state in ('pending', 'verified', 'lapsed')`))
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("checked_at", "timestamptz")
        .addColumn("next_check_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("verified_at", "timestamptz")
        .addColumn("lapsed_at", "timestamptz")
        .addColumn("missed_checks", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("problem", "text")
        .addPrimaryKeyConstraint("project_domains_pkey", ["project_id", "domain"])
        .execute();
      await db.schema
        .createIndex("project_domains_verified_key")
        .on("project_domains")
        .columns(["zone", "domain"])
        .unique()
        .where(sql.ref("state"), "=", "verified")
        .execute();
      await db.schema
        .createIndex("project_domains_due_idx")
        .on("project_domains")
        .column("next_check_at")
        .execute();
      await db.schema
        .createTable("domain_tokens")
        .addColumn("project_id", "uuid", (c) => c.primaryKey().references("projects.id").onDelete("cascade"))
        .addColumn("token", "text", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  "0010-web-sessions": {
    // Browser sessions of the web UI: the cookie's secret only as its SHA-256, the token it
    // stands for, and the CSRF token every change made with the cookie must carry.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("web_sessions")
        .addColumn("hash", "text", (c) => c.primaryKey())
        .addColumn("token_id", "uuid", (c) => c.notNull().references("tokens.id").onDelete("cascade"))
        .addColumn("csrf", "text", (c) => c.notNull())
        .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn("expires_at", "timestamptz", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("web_sessions_expires_idx")
        .on("web_sessions")
        .column("expires_at")
        .execute();
    },
  },
  "0011-app-usage": {
    // An hour of each app's CPU and memory, sampled from the zone's metrics API, for the app's
    // page; the index on `at` is for dropping what has aged out.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("app_usage")
        .addColumn("project_id", "uuid", (c) => c.notNull().references("projects.id").onDelete("cascade"))
        .addColumn("app", "text", (c) => c.notNull())
        .addColumn("at", "timestamptz", (c) => c.notNull())
        .addColumn("cpu_millis", "integer", (c) => c.notNull())
        .addColumn("memory_bytes", "bigint", (c) => c.notNull())
        .addColumn("pods", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("app_usage_pkey", ["project_id", "app", "at"])
        .execute();
      await db.schema.createIndex("app_usage_at_idx").on("app_usage").column("at").execute();
    },
  },
  "0012-unlogged-rate-limits": {
    // Every request writes its token's counter (a few requests a statement when busy). A logged
    // table makes each of those commits wait for its WAL to reach the disk: under load most of
    // the database's work and the disk's, for counts that only matter for a minute. Unlogged,
    // a commit that changed only them waits for nothing; a crash of the database empties the
    // table (every window starts again), and standbys do not have it.
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`alter table rate_limits set unlogged`.execute(db);
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
