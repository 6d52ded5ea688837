import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import type { ZoneSpec } from "../../spec/zone.js";
import { resolveZonePath, zoneDir } from "../paths.js";
import { ensureSecretFile } from "./postgres.js";

/**
 * The service's own login on the zone's PostgreSQL. The `-` keeps it apart from every tenant's
 * role, whose names never hold one (`databaseIdentifier` turns `-` into `_`).
 */
export const SERVICE_ROLE = "pluskube-service";

/** The service's database on the local zone's PostgreSQL. */
export const SERVICE_DATABASE = "pluskube_service";

/**
 * Databases of the server itself that PostgreSQL opens to PUBLIC, i.e. to every tenant's role.
 * template0 accepts no connections at all.
 */
export const SERVER_DATABASES = ["postgres", "template1"] as const;

/** The service role's password, generated once beside the admin's (mode 0600). */
export function servicePasswordFile(): string {
  return join(zoneDir(), "service-postgres.password");
}

function readSecret(file: string): string {
  return readFileSync(resolveZonePath(file), "utf8").trim();
}

function serverUrl(zone: ZoneSpec, user: string, password: string, database: string): string {
  const { host, port, sslmode } = zone.postgres;
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}?sslmode=${sslmode}`;
}

function adminUrl(zone: ZoneSpec, database: string): string {
  return serverUrl(zone, zone.postgres.adminUser, readSecret(zone.postgres.passwordFile), database);
}

async function asAdmin<T>(
  zone: ZoneSpec,
  database: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(zone, database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Serialises the setup between processes (until the session ends): two starts at once would
 * both CREATE the role or database, and two GRANT/REVOKE on one database at once fail with
 * "tuple concurrently updated".
 */
async function lockServiceSetup(client: pg.Client): Promise<void> {
  await client.query("select pg_advisory_lock(hashtext('pluskube:service-database'))");
}

/**
 * Closes the server's own databases to PUBLIC and makes (or repairs) the service's role: a
 * login with no superuser-like attribute, whose password is the one in `servicePasswordFile`.
 * Safe to run again and from several processes at once.
 */
export async function hardenZonePostgres(zone: ZoneSpec): Promise<void> {
  const password = ensureSecretFile(servicePasswordFile(), () => randomBytes(24).toString("base64url"));
  const role = pg.escapeIdentifier(SERVICE_ROLE);
  await asAdmin(zone, "postgres", async (client) => {
    await lockServiceSetup(client);
    const { rows } = await client.query("select 1 from pg_roles where rolname = $1", [SERVICE_ROLE]);
    const verb = rows.length === 0 ? "create" : "alter";
    await client.query(
      `${verb} role ${role} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls ` +
        `password ${pg.escapeLiteral(password)}`,
    );
    for (const database of SERVER_DATABASES) {
      await client.query(`revoke all on database ${pg.escapeIdentifier(database)} from public`);
    }
  });
}

/**
 * A database for the service on the zone's PostgreSQL, owned by the service's role and closed
 * to every other login but the administrator; returns the URL the service connects with.
 * A database made by an earlier version as the administrator is handed over with everything in
 * it; one owned by any other role (a tenant's) is refused.
 */
export async function ensureServiceDatabase(zone: ZoneSpec, database: string): Promise<string> {
  await hardenZonePostgres(zone);
  const name = pg.escapeIdentifier(database);
  const role = pg.escapeIdentifier(SERVICE_ROLE);
  const owner = await asAdmin(zone, "postgres", async (client) => {
    await lockServiceSetup(client);
    const { rows } = await client.query<{ owner: string }>(
      "select pg_get_userbyid(datdba) as owner from pg_database where datname = $1",
      [database],
    );
    if (rows[0] === undefined) await client.query(`create database ${name} owner ${role}`);
    else if (rows[0].owner !== SERVICE_ROLE && rows[0].owner !== zone.postgres.adminUser) {
      throw new Error(`database ${database} belongs to role ${rows[0].owner}, not to the service; rename it`);
    }
    await client.query(`revoke all on database ${name} from public`);
    return rows[0]?.owner ?? SERVICE_ROLE;
  });
  if (owner !== SERVICE_ROLE) {
    await asAdmin(zone, database, async (client) => {
      await client.query(`alter database ${name} owner to ${role}`);
      await client.query(handOver(SERVICE_ROLE));
    });
  }
  return serverUrl(zone, SERVICE_ROLE, readSecret(servicePasswordFile()), database);
}

/**
 * Gives `role` what the administrator made in the current database: schemas, relations,
 * routines and types outside the system schemas. Tables go before sequences, because a sequence
 * that belongs to a column follows its table and refuses to be handed over alone.
 */
function handOver(role: string): string {
  const target = pg.escapeLiteral(role);
  const user = "n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'";
  // What an extension made stays the extension's.
  const own = (oid: string) =>
    `not exists (select 1 from pg_depend d where d.objid = ${oid} and d.deptype = 'e')`;
  return `do $$
declare
  item record;
begin
  for item in select n.nspname from pg_namespace n
      where ${user} and ${own("n.oid")} and pg_get_userbyid(n.nspowner) not in (${target}, 'pg_database_owner') loop
    execute format('alter schema %I owner to %I', item.nspname, ${target});
  end loop;
  for item in select c.oid::regclass as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where ${user} and ${own("c.oid")} and c.relkind in ('r', 'p', 'v', 'm', 'f') and pg_get_userbyid(c.relowner) <> ${target} loop
    execute format('alter table %s owner to %I', item.name, ${target});
  end loop;
  for item in select c.oid::regclass as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where ${user} and ${own("c.oid")} and c.relkind = 'S' and pg_get_userbyid(c.relowner) <> ${target} loop
    execute format('alter sequence %s owner to %I', item.name, ${target});
  end loop;
  for item in select p.oid::regprocedure as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where ${user} and ${own("p.oid")} and pg_get_userbyid(p.proowner) <> ${target} loop
    execute format('alter routine %s owner to %I', item.name, ${target});
  end loop;
  for item in select t.oid::regtype as name from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where ${user} and ${own("t.oid")} and t.typtype in ('e', 'd') and pg_get_userbyid(t.typowner) <> ${target} loop
    execute format('alter type %s owner to %I', item.name, ${target});
  end loop;
end $$`;
}
