/**
 * Database size limits on a real PostgreSQL (the service tests' throwaway cluster serves as the
 * zone's server): the service measures the project's database, refuses its writes over the limit
 * in a way its own role cannot undo, tells the member why, and restores them once the database is
 * back under the limit or the limit is raised.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { databaseIdentifier } from "../../components/project-database/names.js";
import { TestService, testZone } from "./harness.js";

type WritesStatus = { state: string; since: string | null; reason: string | null; error: string | null };
type DatabaseStatus = {
  sizeBytes: { used: number | null; limit: number };
  writes: WritesStatus;
  events: { type: string; message: string }[];
};

const admin = new URL(inject("pgAdminUrl"));
const zone = testZone("testzone", {
  limits: { smallestDatabaseGB: 0.001 },
  postgres: {
    host: admin.hostname,
    port: Number(admin.port),
    adminUser: decodeURIComponent(admin.username),
    passwordFile: "/dev/null",
    sslmode: "disable",
    sizeCheckSeconds: 1,
  },
});
const project = `lim-${randomBytes(3).toString("hex")}`;
const identifier = databaseIdentifier(project, "main");
/** 10 MB: an empty PostgreSQL 15 database takes about 7.5 MB, so 4 MB of rows cross it. */
const LIMIT_GB = 0.01;

function memberUrl(): string {
  const url = new URL(admin);
  url.username = identifier;
  url.pathname = `/${identifier}`;
  return url.toString();
}

async function asAdmin(database: string, ...statements: string[]): Promise<void> {
  const url = new URL(admin);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs SQL as the member on a new connection: "ok", or the SQLSTATE (and message) it failed with. */
async function asMember(sql: string): Promise<{ code: string; message?: string; hint?: string }> {
  const client = new pg.Client({ connectionString: memberUrl() });
  // The refusal ends sessions open at that moment (57P01), one idle between its query and its
  // end too; the query's own outcome is what this reports.
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(sql);
    return { code: "ok" };
  } catch (error) {
    const { code, message, hint } = error as { code?: string; message: string; hint?: string };
    return { code: code ?? "none", message, hint };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The first value of a query's first row, as the member reads it. */
async function memberValue(sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: memberUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, unknown>>(sql);
    return Object.values(rows[0] ?? {})[0];
  } finally {
    await client.end();
  }
}

const FILL = "insert into notes (body) select repeat('x', 1000) from generate_series(1, 4000)";

describe("database size limits", () => {
  let service: TestService;
  let ana: string;

  const status = async (): Promise<DatabaseStatus> => {
    const response = await service.get<DatabaseStatus>(`/v1/projects/${project}/databases/main/status`, ana);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };
  const waitForWrites = async (state: "accepted" | "refused"): Promise<DatabaseStatus> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const current = await status();
      if (current.writes.state === state && current.writes.error === null) return current;
      if (Date.now() > deadline) throw new Error(`writes still ${JSON.stringify(current.writes)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const setLimit = async (sizeGB: number): Promise<void> => {
    const put = await service.put<{ id: string }>(`/v1/projects/${project}/databases/main`, ana, { sizeGB });
    expect(put.status, put.text).toBe(202);
    await service.settle(ana, put.body.id);
  };

  beforeAll(async () => {
    service = await TestService.start({ zones: [zone] });
    ana = await service.user("ana");
    await service.project(ana, project);
    // What ProjectDatabase makes on the zone's server (the fake runner makes nothing).
    await asAdmin(
      "postgres",
      `create role ${identifier} login`,
      `create database ${identifier} owner ${identifier}`,
      `revoke all on database ${identifier} from public`,
    );
    expect(
      (
        await asMember(`
          create table notes (id serial primary key, body text);
          create table authors (id int primary key);
          create table books (id int, author int references authors on delete set null);
          create table reviews (id int, author int references authors on delete cascade);
          insert into authors values (1), (2);
          insert into books values (1, 1);
          insert into reviews values (1, 2);
          create table events (at date, what text) partition by range (at);
          create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
          create table sneaky (id int);
          insert into sneaky values (1);
          create function grow() returns trigger language plpgsql as $$
            begin update notes set body = repeat('y', 5000); return old; end $$;
          create trigger grow after delete on sneaky for each row execute function grow();
          create view public.pg_roles as select true as rolsuper, current_user::name as rolname;
          create function public.pg_trigger_depth() returns int language sql as 'select 2';
          create function public.pg_column_size(notes) returns int language sql as 'select 0';
        `)
      ).code,
    ).toBe("ok");
    await setLimit(LIMIT_GB);
  });

  afterAll(async () => {
    await service?.close();
    await asAdmin(
      "postgres",
      `drop database if exists ${identifier} with (force)`,
      `drop role if exists ${identifier}`,
    );
  });

  it("accepts writes while the database is under its limit", async () => {
    const current = await waitForWrites("accepted");

    expect(current.writes.since).toBeNull();
    expect((await asMember("insert into notes (body) values ('first')")).code).toBe("ok");
  });

  it("refuses writes once the database is over its limit, saying why", async () => {
    const before = new pg.Client({ connectionString: memberUrl() });
    before.on("error", () => {});
    await before.connect();
    await before.query("create temporary table scratch (x int)");
    expect((await asMember(FILL)).code).toBe("ok");

    const current = await waitForWrites("refused");
    const write = await asMember("insert into notes (body) values ('more')");
    // The sessions open before the refusal are ended, with what they made for themselves.
    const earlier = await before.query("insert into scratch values (1)").then(
      () => "ok",
      (error: { code?: string }) => error.code ?? "ended",
    );
    await before.end().catch(() => undefined);

    expect(earlier).not.toBe("ok");

    expect(current.sizeBytes.used).toBeGreaterThan(LIMIT_GB * 1e9);
    expect(current.writes.reason).toContain(`over its size limit of ${LIMIT_GB} GB`);
    expect(current.events[0]?.type).toBe("writes-refused");
    expect(write.code).toBe("53100");
    expect(write.message).toBe(current.writes.reason);
    expect(write.hint).toContain("DELETE, TRUNCATE, DROP and VACUUM still work");
  });

  it.each([
    [
      "an insert after SET default_transaction_read_only = off",
      "set default_transaction_read_only = off; insert into notes (body) values ('x')",
      "53100",
    ],
    ["an UPDATE", "update notes set body = 'y' where id = 1", "53100"],
    ["an insert into a partitioned table", "insert into events values ('2026-06-01', 'x')", "53100"],
    ["an insert into a partition", "insert into events_2026 values ('2026-06-01', 'x')", "53100"],
    ["an upsert", "insert into authors values (1) on conflict (id) do update set id = 3", "53100"],
    [
      "a MERGE",
      "merge into authors a using (select 9 as id) s on a.id = s.id when not matched then insert values (s.id)",
      "53100",
    ],
    ["an UPDATE that grows rows from a trigger of the member's", "delete from sneaky", "53100"],
    ["CREATE TABLE", "create table more (x int)", "53100"],
    [
      "CREATE TABLE with a pg_roles of the member's first in the search path",
      "set search_path = public, pg_catalog; create table more (x int)",
      "53100",
    ],
    [
      "an UPDATE with functions of the member's standing in for the catalog's",
      "set search_path = public, pg_catalog; update notes set body = 'y' where id = 2",
      "53100",
    ],
    ["CREATE TEMPORARY TABLE", "create temporary table scratch (x int)", "53100"],
    ["ALTER TABLE … DISABLE TRIGGER", "alter table notes disable trigger all", "53100"],
    ["DROP TRIGGER", "drop trigger pluskube_size_limit on notes", "53100"],
    ["GRANT", `grant insert on notes to ${identifier}`, "53100"],
    ["dropping the refusal's schema", "drop schema pluskube_size_limit cascade", "42501"],
    ["dropping the event trigger", "drop event trigger pluskube_size_limit", "42501"],
    ["silencing triggers", "set session_replication_role = replica", "42501"],
    [
      "ALTER DATABASE … SET session_replication_role",
      `alter database ${identifier} set session_replication_role = replica`,
      "42501",
    ],
    ["a large object", "select lo_from_bytea(0, 'data')", "42501"],
  ])("refuses %s", async (_name, sql, code) => {
    expect((await asMember(sql)).code).toBe(code);
  });

  it("keeps reads and DELETE working while writes are refused", async () => {
    expect((await asMember("select count(*) from notes")).code).toBe("ok");
    expect((await asMember("delete from notes where id = 1")).code).toBe("ok");
  });

  it("lets a DELETE set the foreign keys referencing its rows to null, or delete their rows", async () => {
    expect((await asMember("delete from authors")).code).toBe("ok");
    expect(await memberValue("select count(*)::int from books where author is null")).toBe(1);
    expect(await memberValue("select count(*)::int from reviews")).toBe(0);
    expect((await asMember("truncate books")).code).toBe("ok");
  });

  it("accepts writes again when the limit is raised, and refuses them when it is lowered", async () => {
    await setLimit(0.05);
    await waitForWrites("accepted");
    expect((await asMember("insert into notes (body) values ('after the upgrade')")).code).toBe("ok");

    await setLimit(LIMIT_GB);
    await waitForWrites("refused");
    expect((await asMember("insert into notes (body) values ('again')")).code).toBe("53100");
  });

  it("accepts writes again once DELETE and VACUUM bring the database under its limit", async () => {
    expect((await asMember("delete from notes")).code).toBe("ok");
    expect((await asMember("vacuum notes")).code).toBe("ok");

    const current = await waitForWrites("accepted");

    expect(current.sizeBytes.used).toBeLessThanOrEqual(LIMIT_GB * 1e9);
    expect((await asMember("insert into notes (body) values ('room again')")).code).toBe("ok");
    expect((await asMember("create table later (x int)")).code).toBe("ok");
    expect(current.events.map((event) => event.type)).toEqual([
      "writes-restored",
      "writes-refused",
      "writes-restored",
      "writes-refused",
    ]);
  });
});
