/**
 * The random provider (bridged from Terraform's) and pluskube's own postgresql provider
 * (localzone/go/*-provider) through the real
 * engine, driven by the unchanged @pulumi/random and @pulumi/postgresql SDKs, on the local zone's
 * PostgreSQL: create, log in with the generated password, update in place, refresh, drift made
 * behind the engine's back, replace, destroy. Needs `npm run zone:up`.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { resolveZonePath } from "../../localzone/paths.js";
import { simulatedZone } from "../../localzone/zone.js";
import { workspaceOptions } from "./helpers/local-zone.js";

const zone = simulatedZone();
const adminPassword = readFileSync(resolveZonePath(zone.postgres.passwordFile), "utf8").trim();
const name = `it_providers_${randomBytes(3).toString("hex")}`;

/** Inputs the steps below change between updates. */
const settings = { connectionLimit: 5, keeper: "1" };

function program(): Promise<Record<string, unknown>> {
  const text = new random.RandomString("text", {
    length: 16,
    special: false,
    keepers: { keeper: settings.keeper },
  });
  const password = new random.RandomPassword("password", {
    length: 32,
    overrideSpecial: "-_.~",
    minLower: 1,
    minUpper: 1,
    minNumeric: 1,
    minSpecial: 1,
  });
  // No `superuser: false`: the zone's admin is one, so the provider also checks password hashes.
  const provider = new postgresql.Provider("zone-postgres", {
    host: zone.postgres.host,
    port: zone.postgres.port,
    username: zone.postgres.adminUser,
    password: adminPassword,
    sslmode: zone.postgres.sslmode,
    connectTimeout: 15,
  });
  const role = new postgresql.Role(
    "role",
    {
      name,
      login: true,
      password: password.result,
      connectionLimit: settings.connectionLimit,
      inherit: false,
      createDatabase: false,
      createRole: false,
    },
    { provider },
  );
  const database = new postgresql.Database(
    "database",
    {
      name,
      owner: role.name,
      connectionLimit: settings.connectionLimit,
      allowConnections: true,
      isTemplate: false,
    },
    { provider },
  );
  new postgresql.Grant(
    "revoke-public",
    { database: database.name, role: "public", objectType: "database", privileges: [] },
    { provider },
  );
  return Promise.resolve({
    text: text.result,
    password: password.result,
    bcryptHash: password.bcryptHash,
    owner: database.owner,
    encoding: database.encoding,
  });
}

/** One query as the zone's admin. */
async function admin<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({
    host: zone.postgres.host,
    port: zone.postgres.port,
    user: zone.postgres.adminUser,
    password: adminPassword,
    database: "postgres",
  });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** `psql` as the test's role, into its database; the first line it prints, or the error. */
function psql(password: string): string {
  try {
    const out = execFileSync(
      "psql",
      [
        "-h",
        zone.postgres.host,
        "-p",
        String(zone.postgres.port),
        "-U",
        name,
        "-d",
        name,
        "-Atc",
        "select current_user",
      ],
      {
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    return out.toString().trim();
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  }
}

interface RoleRow {
  rolcanlogin: boolean;
  rolinherit: boolean;
  rolconnlimit: number;
}
interface DatabaseRow {
  owner: string;
  datconnlimit: number;
  public_privileges: string[];
}

const roleRow = async (): Promise<RoleRow[]> =>
  admin<RoleRow>("select rolcanlogin, rolinherit, rolconnlimit from pg_roles where rolname = $1", [name]);
const databaseRow = async (): Promise<DatabaseRow[]> =>
  admin<DatabaseRow>(
    `select pg_get_userbyid(d.datdba) as owner, d.datconnlimit,
       array(select a.privilege_type from aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
             where a.grantee = 0 order by 1) as public_privileges
     from pg_database d where d.datname = $1`,
    [name],
  );

describe("the random and postgresql providers on the local zone", () => {
  let stack: Stack;
  let outputs: Record<string, { value: unknown; secret: boolean }>;
  let destroyed = false;

  beforeAll(async () => {
    stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "pluskube-providers-test", stackName: `providers-${process.pid}`, program },
      await workspaceOptions(),
    );
  });

  afterAll(async () => {
    if (!destroyed) await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    // Whatever a failed step left behind.
    await admin(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin(`drop role if exists "${name}"`).catch(() => undefined);
  });

  it("creates the random values, the role, its database and the revoke from PUBLIC", async () => {
    const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });
    outputs = up.outputs;

    expect(up.summary.result).toBe("succeeded");
    expect(outputs["text"]?.value).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(outputs["password"]?.secret).toBe(true);
    expect(outputs["password"]?.value).toMatch(/^[A-Za-z0-9._~-]{32}$/);
    expect(outputs["password"]?.value).toMatch(/[-_.~]/);
    expect(outputs["bcryptHash"]?.secret).toBe(true);
    expect(outputs["bcryptHash"]?.value).toMatch(/^\$2a\$10\$/);
    expect(outputs["owner"]?.value).toBe(name);
    expect(outputs["encoding"]?.value).toBe("UTF8");
    expect(await roleRow()).toEqual([{ rolcanlogin: true, rolinherit: false, rolconnlimit: 5 }]);
    expect(await databaseRow()).toEqual([{ owner: name, datconnlimit: 5, public_privileges: [] }]);
  });

  it("lets psql in with the generated password, and not with another", () => {
    expect(psql(outputs["password"]?.value as string)).toBe(name);
    expect(psql("not-the-password")).toMatch(/password authentication failed/);
  });

  it("changes a connection limit in place, leaving the random values alone", async () => {
    settings.connectionLimit = 7;
    const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });

    expect(up.summary.resourceChanges).toEqual({ same: 5, update: 2 });
    expect(up.outputs["text"]?.value).toBe(outputs["text"]?.value);
    expect(up.outputs["password"]?.value).toBe(outputs["password"]?.value);
    expect((await roleRow())[0]?.rolconnlimit).toBe(7);
    expect((await databaseRow())[0]?.datconnlimit).toBe(7);
  });

  it("finds nothing to change on refresh and in the next preview", async () => {
    const refresh = await stack.refresh({ onOutput: (line) => process.stdout.write(line) });
    const preview = await stack.preview();

    expect(refresh.summary.resourceChanges).toEqual({ same: 7 });
    expect(preview.changeSummary).toEqual({ same: 7 });
  });

  it("sees changes made behind its back on refresh and puts them right on the next update", async () => {
    await admin(`alter role "${name}" with connection limit 1 password 'changed-elsewhere'`);
    await admin(`alter database "${name}" with connection limit 2`);
    await admin(`grant connect on database "${name}" to public`);

    const refresh = await stack.refresh({ onOutput: (line) => process.stdout.write(line) });
    expect(refresh.summary.resourceChanges).toEqual({ same: 4, update: 3 });

    const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });
    expect(up.summary.resourceChanges).toEqual({ same: 4, update: 3 });
    expect((await roleRow())[0]?.rolconnlimit).toBe(7);
    expect((await databaseRow())[0]).toEqual({ owner: name, datconnlimit: 7, public_privileges: [] });
    expect(psql(outputs["password"]?.value as string)).toBe(name);
  });

  it("replaces the RandomString when a keeper changes", async () => {
    settings.keeper = "2";
    const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });

    expect(up.summary.resourceChanges).toEqual({ same: 6, replace: 1 });
    expect(up.outputs["text"]?.value).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(up.outputs["text"]?.value).not.toBe(outputs["text"]?.value);
  });

  it("drops the database and the role on destroy", async () => {
    const destroy = await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
    destroyed = true;

    expect(destroy.summary.result).toBe("succeeded");
    expect(await databaseRow()).toEqual([]);
    expect(await roleRow()).toEqual([]);
  });
});
