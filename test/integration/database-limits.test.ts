/**
 * Database size limits on the local zone: a member's database, made by the real engine through
 * the service, filled past a small limit with the credentials the member reads from the API.
 * The service (measuring every second here) refuses its writes in a way the member's own role
 * cannot lift, says why in the status, an event and the error, and accepts writes again when
 * the limit is raised (the upgrade) or the database is cleaned up. Prints the delay between the
 * database crossing its limit and the first refused write.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localZone } from "../../localzone/zone.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { MemberService } from "./helpers/member-service.js";

/** 10 MB: an empty PostgreSQL 15 database takes about 7.5 MB, so 4 MB of rows cross it in a moment. */
const LIMIT_GB = 0.01;
const CHECK_SECONDS = 1;
const base = localZone();
const zone: ZoneSpec = {
  ...base,
  limits: { ...base.limits, smallestDatabaseGB: 0.001 },
  postgres: { ...base.postgres, sizeCheckSeconds: CHECK_SECONDS },
};
const project = `it-dblimit-${randomBytes(3).toString("hex")}`;

type DatabaseStatus = {
  sizeBytes: { used: number | null; limit: number };
  writes: { state: string; since: string | null; reason: string | null; error: string | null };
  events: { type: string; message: string }[];
};
type Failure = { code: string; message?: string; hint?: string };

describe("database size limits on the local zone", () => {
  let member: MemberService;
  /** The member's DATABASE_URL, reaching the server from this machine. */
  let url: string;

  const run = async (sql: string): Promise<Failure> => {
    const client = new pg.Client({ connectionString: url });
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
  };
  const status = async (): Promise<DatabaseStatus> => {
    const response = await member.get<DatabaseStatus>(`/v1/projects/${project}/databases/main/status`);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };
  const waitForWrites = async (state: "accepted" | "refused"): Promise<DatabaseStatus> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const current = await status();
      if (current.writes.state === state && current.writes.error === null) return current;
      if (Date.now() > deadline) throw new Error(`writes still ${JSON.stringify(current.writes)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  beforeAll(async () => {
    member = await MemberService.start(`dblimit-${randomBytes(2).toString("hex")}`, zone);
    await member.apply(`/v1/projects/${project}`, { zone: zone.name });
    await member.apply(`/v1/projects/${project}/databases/main`, { sizeGB: LIMIT_GB });
    const revealed = await member.service.post<{ variables: Record<string, string> }>(
      `/v1/projects/${project}/databases/main/credentials`,
      member.token,
      {},
    );
    expect(revealed.status, revealed.text).toBe(200);
    const parsed = new URL(revealed.body.variables["DATABASE_URL"] as string);
    // Pods reach the server on the node's address; this test on the zone's own.
    parsed.hostname = zone.postgres.host;
    parsed.port = String(zone.postgres.port);
    url = parsed.toString();
    expect((await run("create table notes (id serial primary key, body text)")).code).toBe("ok");
  });

  afterAll(async () => {
    await member?.close([project]);
  });

  it("refuses writes within one check interval of the database crossing its limit", async () => {
    await waitForWrites("accepted");
    expect(
      (await run("insert into notes (body) select repeat('x', 1000) from generate_series(1, 4000)")).code,
    ).toBe("ok");
    const crossed = performance.now();

    let write: Failure;
    // A write that was under way when the refusal came has its session ended (57P01), so that
    // no session opened before the refusal goes on writing; the next one is refused.
    const ADMIN_SHUTDOWN = "57P01";
    do write = await run("insert into notes (body) values ('one more')");
    while ((write.code === "ok" || write.code === ADMIN_SHUTDOWN) && performance.now() - crossed < 30_000);
    const delayMs = performance.now() - crossed;
    console.log(
      `database limit: writes refused ${delayMs.toFixed(0)} ms after the database crossed its limit (sizes measured every ${CHECK_SECONDS} s)`,
    );

    expect(write.code).toBe("53100");
    expect(delayMs).toBeLessThan(CHECK_SECONDS * 1000 + 5_000);
    const current = await waitForWrites("refused");
    expect(write.message).toBe(current.writes.reason);
    expect(write.message).toContain(`over its size limit of ${LIMIT_GB} GB`);
    expect(write.hint).toContain("DELETE, TRUNCATE, DROP and VACUUM still work");
    expect(current.events[0]?.type).toBe("writes-refused");
  });

  it.each([
    [
      "SET default_transaction_read_only = off",
      "set default_transaction_read_only = off; insert into notes (body) values ('x')",
    ],
    ["ALTER TABLE", "alter table notes disable trigger all"],
    ["ALTER TABLE … OWNER", "alter table notes owner to current_user"],
    ["GRANT", "grant insert, update on notes to current_user"],
    ["CREATE TABLE", "create table elsewhere (x int)"],
    ["UPDATE", "update notes set body = 'y'"],
  ])("keeps refusing writes when the member tries %s", async (_name, sql) => {
    expect((await run(sql)).code).toBe("53100");
    // Through a new connection, after the attempt.
    expect((await run("insert into notes (body) values ('after')")).code).toBe("53100");
  });

  it("does not let the member silence or drop the refusal's triggers", async () => {
    expect((await run("set session_replication_role = replica")).code).toBe("42501");
    expect((await run("drop schema pluskube_size_limit cascade")).code).toBe("42501");
    expect((await run("drop event trigger pluskube_size_limit")).code).toBe("42501");
    expect((await run("drop trigger pluskube_size_limit on notes")).code).toBe("53100");
  });

  it("keeps reads and deletes working while writes are refused", async () => {
    expect((await run("select count(*) from notes")).code).toBe("ok");
    expect((await run("delete from notes where id = 1")).code).toBe("ok");
  });

  it("accepts writes again when the member raises sizeGB", async () => {
    await member.apply(`/v1/projects/${project}/databases/main`, { sizeGB: 0.05 });

    await waitForWrites("accepted");

    expect((await run("insert into notes (body) values ('after the upgrade')")).code).toBe("ok");
  });

  it("accepts writes again once DELETE and VACUUM bring the database back under its limit", async () => {
    await member.apply(`/v1/projects/${project}/databases/main`, { sizeGB: LIMIT_GB });
    await waitForWrites("refused");

    expect((await run("delete from notes")).code).toBe("ok");
    expect((await run("vacuum notes")).code).toBe("ok");
    const current = await waitForWrites("accepted");

    expect(current.sizeBytes.used).toBeLessThanOrEqual(LIMIT_GB * 1e9);
    expect((await run("insert into notes (body) values ('room again')")).code).toBe("ok");
    expect(current.events.map((event) => event.type)).toEqual([
      "writes-restored",
      "writes-refused",
      "writes-restored",
      "writes-refused",
    ]);
  });
});
