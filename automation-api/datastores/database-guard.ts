import pg from "pg";
import { readZoneFile } from "../../stacks/providers.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { sslOf } from "./zone-postgres.js";

/**
 * Name of everything the refusal of writes puts into a member's database: a schema owned by the
 * zone's administrator (its two functions), the event trigger, and one trigger per table.
 */
export const GUARD_NAME = "pluskube_size_limit";

/**
 * The large-object functions that create or grow large objects; `lo_unlink`, `lo_open` and the
 * readers stay. Their owner is the bootstrap superuser, so a member cannot grant them back.
 */
const LARGE_OBJECT_WRITERS = [
  "lo_creat(integer)",
  "lo_create(oid)",
  "lo_from_bytea(oid, bytea)",
  "lowrite(integer, bytea)",
  "lo_put(oid, bigint, bytea)",
];

/** SQLSTATE of the refusal: `disk_full`, the class PostgreSQL itself answers when space runs out. */
export const REFUSAL_SQLSTATE = "53100";

/** SQLSTATE of a lock not granted within `lock_timeout`. */
const LOCK_NOT_AVAILABLE = "55P03";

/** The refusal of one database's writes, as the member's apps will read it. */
export interface WriteRefusal {
  readonly database: string;
  /** The login role of the database (its owner), whose sessions end when writes are first refused. */
  readonly role: string;
  readonly message: string;
  readonly hint: string;
}

/**
 * What the service does on a zone's PostgreSQL to hold its projects' databases to their size:
 * measures them, refuses and restores their writes. Tests of the decisions hand in a fake.
 */
export interface DatabaseWriteGuard {
  /** Sizes in bytes of those of the named databases that exist, in one query. */
  sizes(zone: ZoneSpec, databases: readonly string[]): Promise<Map<string, number>>;
  /**
   * Refuses INSERT, UPDATE (hence MERGE and COPY FROM), every DDL but DROP, and the creation and
   * writing of large objects, to everyone but superusers, with the refusal's message; leaves
   * SELECT, DELETE, TRUNCATE, DROP and VACUUM. Safe to repeat: a repetition covers the tables
   * made since and renames the limit. With `endSessions`, ends the role's sessions on the
   * database afterwards (and before a retry when they hold locks the refusal waits for).
   */
  refuseWrites(zone: ZoneSpec, refusal: WriteRefusal, options: { endSessions: boolean }): Promise<void>;
  /** Takes everything `refuseWrites` made out of the database. Safe to repeat. */
  acceptWrites(zone: ZoneSpec, database: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The functions run in the member's sessions, under the member's `search_path`: a view
 * `public.pg_roles` or a function `public.pg_trigger_depth` of theirs, put first, would answer
 * for the catalog's. Pinned to `pg_catalog`, every name in them is the system's.
 */
const PINNED_PATH = "set search_path = pg_catalog";

const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (text: string): string => pg.escapeLiteral(text);

/**
 * Statements that refuse writes, in one transaction. The member owns its database and its
 * tables, so a revoked privilege is one it could grant itself back, and a session setting such as
 * `default_transaction_read_only` one it could set off (and it would stop DELETE too). What an
 * owner cannot undo is what a superuser owns: the functions below (in a schema the member may not
 * even use), the event trigger, which stops the member's DDL (ALTER TABLE … DISABLE TRIGGER, DROP
 * TRIGGER, GRANT, CREATE …) before it runs, and the triggers it thereby keeps in place;
 * `session_replication_role`, which would silence triggers, only a superuser may set.
 */
export function refuseWritesSql(refusal: WriteRefusal): string[] {
  const schema = ident(GUARD_NAME);
  const message = literal(refusal.message);
  const hint = literal(refusal.hint);
  const writeFunction = `${schema}.refuse_write()`;
  const ddlFunction = `${schema}.refuse_ddl()`;
  return [
    `create schema if not exists ${schema}`,
    `revoke all on schema ${schema} from public`,
    // A row trigger fires for INSERT, UPDATE, COPY FROM and MERGE, and for writes made through
    // views, rules and the member's own functions. A foreign key's ON DELETE SET NULL (or SET
    // DEFAULT) updates the referencing rows from within the DELETE, one trigger deep: such an
    // update passes as long as it does not grow the row, so that DELETE keeps working.
    `create or replace function ${writeFunction} returns trigger language plpgsql ${PINNED_PATH} as $guard$
begin
  if tg_op = 'UPDATE' and pg_trigger_depth() > 1 and pg_column_size(new) <= pg_column_size(old) then
    return new;
  end if;
  raise exception using errcode = '${REFUSAL_SQLSTATE}', message = ${message},
    detail = format('%s on %s is refused', tg_op, tg_table_name), hint = ${hint};
end $guard$`,
    `create or replace function ${ddlFunction} returns event_trigger language plpgsql ${PINNED_PATH} as $guard$
begin
  if (select rolsuper from pg_roles where rolname = current_user) then return; end if;
  -- Dropping frees space; dropping a trigger would lift the refusal of a table that stays.
  if tg_tag like 'DROP %' and tg_tag not in ('DROP TRIGGER', 'DROP RULE') then return; end if;
  raise exception using errcode = '${REFUSAL_SQLSTATE}', message = ${message},
    detail = format('%s is refused', tg_tag), hint = ${hint};
end $guard$`,
    `do $guard$ begin
  if not exists (select 1 from pg_event_trigger where evtname = ${literal(GUARD_NAME)}) then
    create event trigger ${ident(GUARD_NAME)} on ddl_command_start execute function ${ddlFunction};
  end if;
end $guard$`,
    // Every table and partitioned table of every schema but the system's, and not other
    // sessions' temporary ones (those end with their sessions). Partitions get theirs from their
    // partitioned table, which hands its row triggers down.
    `do $guard$ declare target regclass; begin
  for target in
    select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and c.relpersistence <> 't' and not c.relispartition
       and n.nspname not in ('pg_catalog', 'information_schema', ${literal(GUARD_NAME)})
       and n.nspname not like 'pg\\_toast%'
       and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = ${literal(GUARD_NAME)})
  loop
    execute format('create trigger %I before insert or update on %s for each row execute function ${writeFunction}',
                   ${literal(GUARD_NAME)}, target);
  end loop;
end $guard$`,
    `revoke execute on function ${LARGE_OBJECT_WRITERS.join(", ")} from public`,
  ];
}

/** Statements that take the refusal out again: the schema's functions take their triggers with them. */
export function acceptWritesSql(): string[] {
  return [
    `drop schema if exists ${ident(GUARD_NAME)} cascade`,
    `grant execute on function ${LARGE_OBJECT_WRITERS.join(", ")} to public`,
  ];
}

/**
 * The guard on the zones' PostgreSQL servers, reached as their administrator (the zone file's
 * admin user, which must be a superuser: only superusers make event triggers). Sizes come from
 * one small pool per zone; changes go through a short connection to the database concerned.
 */
export function zoneDatabaseGuard(options: { lockTimeoutMs?: number } = {}): DatabaseWriteGuard {
  const lockTimeoutMs = options.lockTimeoutMs ?? 3_000;
  const pools = new Map<string, pg.Pool>();
  const settings = (zone: ZoneSpec, database: string): pg.ClientConfig => ({
    host: zone.postgres.host,
    port: zone.postgres.port,
    user: zone.postgres.adminUser,
    password: readZoneFile(zone.postgres.passwordFile),
    database,
    ssl: sslOf(zone.postgres.sslmode),
    connectionTimeoutMillis: 5_000,
  });
  const poolOf = (zone: ZoneSpec): pg.Pool => {
    let pool = pools.get(zone.name);
    if (!pool) {
      pool = new pg.Pool({ ...settings(zone, "postgres"), max: 1, idleTimeoutMillis: 10_000 });
      pool.on("error", () => {});
      pools.set(zone.name, pool);
    }
    return pool;
  };
  const inDatabase = async (zone: ZoneSpec, database: string, statements: readonly string[]) => {
    const client = new pg.Client(settings(zone, database));
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query("begin");
      await client.query(`set local lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
      // The member's objects must not stand in for the catalog's here either; tables then read
      // schema-qualified.
      await client.query("set local search_path = pg_catalog");
      for (const statement of statements) await client.query(statement);
      await client.query("commit");
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const endSessions = async (zone: ZoneSpec, database: string, role: string): Promise<void> => {
    await poolOf(zone).query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = $1 and usename = $2 and pid <> pg_backend_pid()`,
      [database, role],
    );
  };
  return {
    async sizes(zone, databases) {
      if (databases.length === 0) return new Map();
      const { rows } = await poolOf(zone).query<{ name: string; size: string }>(
        `select datname as name, pg_database_size(oid) as size from pg_database where datname = any($1::text[])`,
        [databases],
      );
      return new Map(rows.map((row) => [row.name, Number(row.size)]));
    },
    async refuseWrites(zone, refusal, { endSessions: end }) {
      const statements = refuseWritesSql(refusal);
      try {
        await inDatabase(zone, refusal.database, statements);
      } catch (error) {
        // A session in the middle of a write holds the lock a new trigger waits for.
        if (!end || (error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
        await endSessions(zone, refusal.database, refusal.role);
        await inDatabase(zone, refusal.database, statements);
      }
      // A session that made a temporary table before the refusal could go on filling it.
      if (end) await endSessions(zone, refusal.database, refusal.role);
    },
    async acceptWrites(zone, database) {
      await inDatabase(zone, database, acceptWritesSql());
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.end().catch(() => {})));
      pools.clear();
    },
  };
}
