/**
 * ProjectDatabase on the local zone's real PostgreSQL and cluster, through the Pulumi engine:
 * the generated credentials reach their own database and no other project's. Needs
 * `npm run zone:up`.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { resolveZonePath } from "../../localzone/paths.js";
import { localKubeconfig, localZone } from "../../localzone/zone.js";
import { workspaceOptions } from "./helpers/local-zone.js";
import { ProjectDatabase } from "../../components/project-database/index.js";

const zone = localZone();
const adminPassword = readFileSync(resolveZonePath(zone.postgres.passwordFile), "utf8").trim();
const suffix = randomBytes(3).toString("hex");
const projects = [`it-alpha-${suffix}`, `it-beta-${suffix}`] as const;

/** The error code PostgreSQL answers a connection or statement with, or "ok". */
async function attempt(url: string, sql = "select 1"): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(sql);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
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
  let urls: Record<string, string>;
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
        outputs[`${project}-url`] = db.connectionUrl;
        outputs[`${project}-database`] = db.databaseName;
      }
      return outputs;
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "pluskube-project-database-test", stackName, program },
      await workspaceOptions(),
    );
    const result = await stack.up();
    urls = Object.fromEntries(projects.map((p) => [p, result.outputs[`${p}-url`]?.value as string]));
    names = Object.fromEntries(projects.map((p) => [p, result.outputs[`${p}-database`]?.value as string]));
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  });

  it("lets a project's credentials create tables in its own database", async () => {
    const [alpha] = projects;

    expect(
      await attempt(urls[alpha] as string, "create table notes (body text); insert into notes values ('hi')"),
    ).toBe("ok");
  });

  it("refuses a project's credentials on another project's database", async () => {
    const [alpha, beta] = projects;

    // 42501: insufficient_privilege, "permission denied for database".
    expect(await attempt(withDatabase(urls[alpha] as string, names[beta] as string))).toBe("42501");
  });

  it("refuses a project's role to create databases", async () => {
    const [alpha] = projects;

    expect(await attempt(urls[alpha] as string, `create database sneaky_${suffix}`)).toBe("42501");
  });
});
