/**
 * Finding 7, the shared PostgreSQL: on the local zone the service's database lives on the
 * server that holds the tenants' databases. A tenant's credentials (a project database's role,
 * made by a real project stack) must reach neither the service's database nor `postgres`, and
 * the service must run on a role of its own that is no superuser.
 */
import { kubeClusters } from "../../../automation-api/cluster/kube-clusters.js";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { localDatabaseUrl, SERVICE_DATABASE } from "../../../automation-api/local-zone.js";
import { zonesFromFiles } from "../../../automation-api/domain/zones.js";
import { buildService } from "../../../automation-api/service.js";
import { databaseSecretName } from "../../../components/project-database/names.js";
import { simulatedZone } from "../../../localzone/zone.js";
import { kubeGet } from "../helpers/local-zone.js";
import { ProjectStack, uniqueProject } from "../helpers/project-stack.js";
import { adminMadeServiceDatabase, dropLocalServiceDatabase, realRunner } from "../service-helpers.js";
import { attempt } from "../helpers/postgres.js";

const zone = simulatedZone();
const project = uniqueProject("it-sec07");

/** The first row of one query on `url`. */
async function queryOne<T extends object>(url: string, sql: string, values: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<T>(sql, values);
    return rows[0] as T;
  } finally {
    await client.end();
  }
}

/** A connection URL with another database name, keeping the credentials. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The same URL at the zone's own address for Postgres (loopback on the local zone). */
function viaLoopback(url: string): string {
  const parsed = new URL(url);
  parsed.hostname = zone.postgres.host;
  return parsed.toString();
}

describe("the shared PostgreSQL of the local zone", () => {
  let stack: ProjectStack | undefined;
  let tenantUrl: string;
  let serviceUrl: string;

  beforeAll(async () => {
    // The service's database as `npm start` makes it.
    serviceUrl = await localDatabaseUrl(zone);
    const spec = { project, zone: zone.name, databases: [{ name: "main", sizeGB: 1 }] };
    stack = await ProjectStack.create(spec, zone);
    await stack.up(spec);
    const secret = await kubeGet<{ data: Record<string, string> }>(
      `/api/v1/namespaces/${project}/secrets/${databaseSecretName("main")}`,
    );
    tenantUrl = Buffer.from(secret.data["DATABASE_URL"] ?? "", "base64").toString("utf8");
  });

  afterAll(async () => {
    await stack?.dispose();
  });

  it("lets a tenant's role into its own database", async () => {
    expect(await attempt(tenantUrl)).toBe("ok");
  });

  // Two layers refuse a tenant's role another database. At the address pods use (the node
  // address) pg_hba has only `sameuser` entries, so the login itself fails: 28000,
  // invalid_authorization_specification. Over loopback, where initdb's rules let any role try,
  // the database's privileges refuse it: 42501, insufficient_privilege.
  for (const database of [SERVICE_DATABASE, "postgres", "template1"]) {
    it(`refuses a tenant's role a connection to the ${database} database at the address pods use`, async () => {
      expect(new URL(tenantUrl).hostname).toBe(zone.postgres.clusterHost);
      expect(await attempt(withDatabase(tenantUrl, database))).toBe("28000");
    });

    it(`refuses a tenant's role a connection to the ${database} database over loopback`, async () => {
      expect(await attempt(withDatabase(viaLoopback(tenantUrl), database))).toBe("42501");
    });
  }

  it("leaves PUBLIC no CONNECT on the tenant's own database", async () => {
    const database = new URL(tenantUrl).pathname.slice(1);

    const row = await queryOne<{ public: boolean }>(
      serviceUrl,
      "select has_database_privilege('public', $1, 'CONNECT') as public",
      [database],
    );

    expect(row.public).toBe(false);
  });

  it("runs the service on a role of its own that is no superuser and owns the service's database", async () => {
    const row = await queryOne<{ role: string; superuser: boolean; owner: string }>(
      serviceUrl,
      `select current_user as role, r.rolsuper as superuser, pg_get_userbyid(d.datdba) as owner
         from pg_roles r, pg_database d
        where r.rolname = current_user and d.datname = current_database()`,
    );

    expect(row.superuser).toBe(false);
    expect(row.role).not.toBe(zone.postgres.adminUser);
    expect(row.owner).toBe(row.role);
  });

  it("migrates the store and starts the job queue on the service's role", async () => {
    const url = await localDatabaseUrl(zone, `service_it_${randomBytes(5).toString("hex")}`);
    try {
      const service = await buildService({
        databaseUrl: url,
        zones: zonesFromFiles(),
        runner: await realRunner(),
        clusters: kubeClusters(),
        workers: false,
      });
      await service.stop();

      expect(service.adminToken).toMatch(/^pk_/);
    } finally {
      await dropLocalServiceDatabase(url);
    }
  });

  it("hands a database an earlier version made as the administrator over to the service's role", async () => {
    const asAdmin = await adminMadeServiceDatabase();
    const database = new URL(asAdmin).pathname.slice(1);
    try {
      const before = await buildService({
        databaseUrl: asAdmin,
        zones: zonesFromFiles(),
        runner: await realRunner(),
        clusters: kubeClusters(),
        workers: false,
      });
      await before.stop();

      const url = await localDatabaseUrl(zone, database);
      const after = await buildService({
        databaseUrl: url,
        zones: zonesFromFiles(),
        runner: await realRunner(),
        clusters: kubeClusters(),
        workers: false,
      });
      await after.stop();
      const row = await queryOne<{ others: number }>(
        url,
        `select count(*)::int as others from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
            and c.relowner <> current_user::regrole`,
      );

      expect(row.others).toBe(0);
    } finally {
      await dropLocalServiceDatabase(asAdmin);
    }
  });
});
