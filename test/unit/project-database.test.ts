import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import type * as ProjectDatabaseModule from "../../components/project-database/index.js";

type Module = typeof ProjectDatabaseModule;
type Args = ProjectDatabaseModule.ProjectDatabaseArgs;

const ROLE = "postgresql:index/role:Role";
const DATABASE = "postgresql:index/database:Database";
const GRANT = "postgresql:index/grant:Grant";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const SECRET = "kubernetes:core/v1:Secret";
const TYPE = "pluskube:index:ProjectDatabase";

const validArgs: Args = {
  project: "shop",
  namespace: "shop",
  name: "main",
  sizeGB: 5,
  host: "postgres.zone.internal",
};

/** The value inside a secret the engine was sent, or a failure when the value was sent in the clear. */
function secretValue(value: unknown): unknown {
  expect(pulumi.runtime.isRpcSecret(value), `expected a secret, got ${JSON.stringify(value)}`).toBe(true);
  return pulumi.runtime.unwrapRpcSecret(value);
}

describe("ProjectDatabase", () => {
  let recorder: ResourceRecorder;
  let mod: Module;

  beforeAll(async () => {
    recorder = await installMocks();
    mod = await import("../../components/project-database/index.js");
  });

  beforeEach(() => recorder.clear());

  /** Creates a ProjectDatabase and waits until the mocked engine has seen all its children. */
  async function create(args: Partial<Args> = {}, name = "db") {
    const component = new mod.ProjectDatabase(name, { ...validArgs, ...args });
    await promiseOf(component.connectionUrl);
    await promiseOf(component.secretName);
    return component;
  }

  it("creates a login role with every superuser-like attribute off and the connection limit", async () => {
    await create({ connectionLimit: 7 });

    expect(recorder.one(ROLE, "db-role").inputs).toMatchObject({
      name: "shop_main",
      login: true,
      superuser: false,
      createDatabase: false,
      createRole: false,
      replication: false,
      bypassRowLevelSecurity: false,
      inherit: true,
      connectionLimit: 7,
    });
  });

  it("gives the role the generated password as a secret", async () => {
    await create();

    const password = recorder.one(PASSWORD, "db-password").inputs;
    const role = recorder.one(ROLE, "db-role").inputs;
    expect(password).toMatchObject({ length: 32, special: true, overrideSpecial: "-_.~" });
    expect(secretValue(role.password)).toMatch(/^[a-z0-9]{32}$/);
  });

  it("creates a database owned by the role with the default connection limit of 20", async () => {
    await create();

    expect(recorder.one(DATABASE, "db-database").inputs).toMatchObject({
      name: "shop_main",
      owner: "shop_main",
      connectionLimit: 20,
    });
    expect(recorder.one(ROLE, "db-role").inputs.connectionLimit).toBe(20);
  });

  it("revokes every database privilege from PUBLIC", async () => {
    await create();

    expect(recorder.one(GRANT, "db-revoke-public").inputs).toEqual({
      database: "shop_main",
      role: "public",
      objectType: "database",
      privileges: [],
    });
  });

  it("keeps CONNECT, CREATE and TEMPORARY for the owner", async () => {
    await create();

    expect(recorder.one(GRANT, "db-owner-access").inputs).toMatchObject({
      database: "shop_main",
      role: "shop_main",
      objectType: "database",
      privileges: ["CONNECT", "CREATE", "TEMPORARY"],
    });
  });

  it("writes the connection settings as secrets into a labelled Secret in the project namespace", async () => {
    await create({ port: 15432, sslmode: "disable" });

    const secret = recorder.one(SECRET, "db-secret").inputs as {
      metadata: Record<string, unknown>;
      stringData: unknown;
    };
    expect(secret.metadata).toEqual({
      name: "database-main",
      namespace: "shop",
      labels: {
        "app.kubernetes.io/managed-by": "pluskube",
        "pluskube.dev/project": "shop",
        "pluskube.dev/claim": "database",
      },
      annotations: { "pluskube.dev/size-gb": "5" },
    });
    const data = secretValue(secret.stringData);
    const password = secretValue(recorder.one(ROLE, "db-role").inputs.password);
    expect(data).toEqual({
      DATABASE_URL: `postgres://shop_main:${password}@postgres.zone.internal:15432/shop_main?sslmode=disable`,
      PGHOST: "postgres.zone.internal",
      PGPORT: "15432",
      PGDATABASE: "shop_main",
      PGUSER: "shop_main",
      PGPASSWORD: password,
      PGSSLMODE: "disable",
    });
  });

  it("exposes names, size and a secret connection URL with sslmode require by default", async () => {
    const component = await create();

    expect(await promiseOf(component.databaseName)).toBe("shop_main");
    expect(await promiseOf(component.roleName)).toBe("shop_main");
    expect(await promiseOf(component.secretName)).toBe("database-main");
    expect(component.sizeGB).toBe(5);
    expect(await pulumi.isSecret(component.connectionUrl)).toBe(true);
    expect(await promiseOf(component.connectionUrl)).toMatch(
      /^postgres:\/\/shop_main:[a-z0-9]{32}@postgres\.zone\.internal:5432\/shop_main\?sslmode=require$/,
    );
  });

  it("parents every child to the component", async () => {
    await create();

    const children = recorder.resources.filter((resource) => resource.type !== TYPE);
    expect(children.map((child) => child.name).sort()).toEqual([
      "db-database",
      "db-owner-access",
      "db-password",
      "db-revoke-public",
      "db-role",
      "db-secret",
    ]);
    for (const child of children) expect(recorder.parentTypeOf(child.name)).toBe(TYPE);
  });

  it("gives two projects whose names only split differently different roles", async () => {
    await create({ project: "a-b", name: "c", namespace: "a-b" }, "first");
    await create({ project: "a", name: "b-c", namespace: "a" }, "second");

    const names = recorder.ofType(ROLE).map((role) => role.inputs.name);
    expect(new Set(names).size).toBe(2);
  });

  it.each<[string, Partial<Args>, string]>([
    ["an uppercase project", { project: "Shop" }, "project must be a DNS label"],
    ["a project of 64 characters", { project: "p".repeat(64) }, "project must be a DNS label"],
    [
      "a project starting with pg-",
      { project: "pg-tools" },
      "PostgreSQL reserves role names starting with pg_",
    ],
    ["a name with an underscore", { name: "main_db" }, "name must be a DNS label"],
    ["a name of 41 characters", { name: "n".repeat(41) }, "at most 40 characters"],
    ["a size of 0 GB", { sizeGB: 0 }, "sizeGB must be a number of GB more than 0 and at most 1024, got 0"],
    ["a size beyond 1024 GB", { sizeGB: 2000 }, "sizeGB must be"],
    [
      "a connection limit of 0",
      { connectionLimit: 0 },
      "connectionLimit must be a whole number from 1 to 500",
    ],
    ["a fractional connection limit", { connectionLimit: 2.5 }, "connectionLimit must be"],
    ["a namespace with a dot", { namespace: "shop.prod" }, "namespace must be a DNS label"],
    ["a host with a space", { host: "db host" }, "host must be a host name"],
    ["a port of 70000", { port: 70000 }, "port must be a TCP port from 1 to 65535, got 70000"],
    ["an unknown sslmode", { sslmode: "strict" as Args["sslmode"] }, "sslmode must be one of disable"],
  ])("refuses %s, naming the argument, before creating any child", async (_, bad, message) => {
    expect(() => new mod.ProjectDatabase("bad", { ...validArgs, ...bad })).toThrow(message);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(recorder.resources.filter((resource) => resource.type !== TYPE)).toEqual([]);
  });
});
