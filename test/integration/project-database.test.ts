/**
 * ProjectDatabase on the local zone's real PostgreSQL and cluster, through the Pulumi engine:
 * the credentials it generates, as apps read them from its Kubernetes Secret, reach their own
 * database and no other project's.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { resolveZonePath } from "../../localzone/paths.js";
import { localKubeconfig, simulatedZone } from "../../localzone/zone.js";
import { kubeGet, workspaceOptions } from "./helpers/local-zone.js";
import { ProjectDatabase } from "../../components/project-database/index.js";
import { databaseIdentifier, databaseSecretName } from "../../components/project-database/names.js";
import { attempt } from "./helpers/postgres.js";

const zone = simulatedZone();
const adminPassword = readFileSync(resolveZonePath(zone.postgres.passwordFile), "utf8").trim();
const suffix = randomBytes(3).toString("hex");
const projects = [`it-alpha-${suffix}`, `it-beta-${suffix}`] as const;

/** The connection settings a project's pods get: the data of the database's Secret, decoded. */
async function secretOf(project: string): Promise<Record<string, string>> {
  const secret = await kubeGet<{ data: Record<string, string> }>(
    `/api/v1/namespaces/${project}/secrets/${databaseSecretName("main")}`,
  );
  return Object.fromEntries(
    Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]),
  );
}

/** A connection URL with another database name, keeping the credentials. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

describe("ProjectDatabase on the local zone", () => {
  const stackName = `project-database-${process.pid}`;
  let stack: Stack;
  let secrets: Record<string, Record<string, string>>;
  let names: Record<string, string>;

  beforeAll(async () => {
    const program = async () => {
      const database = new postgresql.Provider("zone-postgres", {
        host: zone.postgres.host,
        port: zone.postgres.port,
        username: zone.postgres.adminUser,
        password: adminPassword,
        sslmode: zone.postgres.sslmode,
        superuser: false,
      });
      const cluster = new k8s.Provider("zone-cluster", {
        kubeconfig: readFileSync(localKubeconfig(zone), "utf8"),
        ...(zone.context ? { context: zone.context } : {}),
      });
      const outputs: Record<string, unknown> = {};
      for (const project of projects) {
        const namespace = new k8s.core.v1.Namespace(
          project,
          { metadata: { name: project } },
          { provider: cluster },
        );
        const db = new ProjectDatabase(
          project,
          {
            project,
            namespace: namespace.metadata.name,
            name: "main",
            sizeGB: 1,
            host: zone.postgres.host,
            port: zone.postgres.port,
            sslmode: zone.postgres.sslmode,
          },
          { providers: { postgresql: database, kubernetes: cluster } },
        );
        outputs[`${project}-database`] = db.databaseName;
      }
      return outputs;
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "pluskube-project-database-test", stackName, program },
      await workspaceOptions(),
    );
    const result = await stack.up();
    names = Object.fromEntries(projects.map((p) => [p, result.outputs[`${p}-database`]?.value as string]));
    secrets = Object.fromEntries(
      await Promise.all(projects.map(async (p) => [p, await secretOf(p)] as const)),
    );
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  });

  it("lets the DATABASE_URL of a project's Secret create tables in its own database", async () => {
    const [alpha] = projects;

    expect(
      await attempt(
        secrets[alpha]?.["DATABASE_URL"] as string,
        "create table notes (body text); insert into notes values ('hi')",
      ),
    ).toBe("ok");
  });

  it("puts the same credentials in the Secret's PG variables", async () => {
    const [alpha] = projects;
    const env = secrets[alpha] as Record<string, string>;
    const client = new pg.Client({
      host: env["PGHOST"],
      port: Number(env["PGPORT"]),
      user: env["PGUSER"],
      password: env["PGPASSWORD"],
      database: env["PGDATABASE"],
    });

    await client.connect();
    const { rows } = await client.query<{ database: string; role: string }>(
      "select current_database() as database, current_user as role",
    );
    await client.end();
    expect(rows).toEqual([
      { database: databaseIdentifier(alpha, "main"), role: databaseIdentifier(alpha, "main") },
    ]);
  });

  it("refuses a project's credentials on another project's database", async () => {
    const [alpha, beta] = projects;

    // 42501: insufficient_privilege, "permission denied for database".
    expect(
      await attempt(withDatabase(secrets[alpha]?.["DATABASE_URL"] as string, names[beta] as string)),
    ).toBe("42501");
  });

  it("refuses a project's role to create databases", async () => {
    const [alpha] = projects;

    expect(
      await attempt(secrets[alpha]?.["DATABASE_URL"] as string, `create database sneaky_${suffix}`),
    ).toBe("42501");
  });
});
