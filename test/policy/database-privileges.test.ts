import { describe, expect, it } from "vitest";
import { databasePrivileges } from "../../policy/rules/database-privileges.js";
import { configMap, postgresRole } from "./fixtures.js";
import { messages, UNKNOWN, validateResource } from "./harness.js";

describe("database-privileges", () => {
  it("accepts the login role ProjectDatabase makes", async () => {
    const outcome = await validateResource(databasePrivileges, postgresRole());

    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([]);
  });

  it("accepts a role that leaves the attributes at their defaults (off)", async () => {
    const role = postgresRole({
      superuser: undefined,
      createDatabase: undefined,
      createRole: undefined,
      replication: undefined,
      bypassRowLevelSecurity: undefined,
    });

    expect(messages(await validateResource(databasePrivileges, role))).toEqual([]);
  });

  it("is not applicable to a Kubernetes object", async () => {
    expect((await validateResource(databasePrivileges, configMap())).notApplicable).toHaveLength(1);
  });

  it.each([
    ["superuser", "it would bypass every permission check on the server"],
    ["createDatabase", "it could create databases outside its quota"],
    ["createRole", "it could create roles with any attributes but superuser"],
    ["replication", "it could stream every database of the server"],
    ["bypassRowLevelSecurity", "it would bypass other tables' row-level security"],
  ] as const)("refuses %s", async (attribute, why) => {
    const outcome = await validateResource(databasePrivileges, postgresRole({ [attribute]: true }));

    expect(messages(outcome)).toEqual([`${attribute} must be false: ${why}`]);
  });

  it("refuses a role without a connection limit", async () => {
    const outcome = await validateResource(databasePrivileges, postgresRole({ connectionLimit: undefined }));

    expect(messages(outcome)).toEqual(["connectionLimit must be set: the default -1 means no limit"]);
  });

  it.each([-1, 0])("refuses connection limit %d", async (limit) => {
    const outcome = await validateResource(databasePrivileges, postgresRole({ connectionLimit: limit }));

    expect(messages(outcome)).toEqual([
      `connectionLimit must be more than 0, got ${limit} (-1 means no limit)`,
    ]);
  });

  it("refuses a connection limit above the configured maximum", async () => {
    const outcome = await validateResource(databasePrivileges, postgresRole({ connectionLimit: 100 }), {
      maxConnectionLimit: 50,
    });

    expect(messages(outcome)).toEqual(["connectionLimit must be at most 50, got 100"]);
  });

  it("accepts a connection limit at the configured maximum", async () => {
    const outcome = await validateResource(databasePrivileges, postgresRole({ connectionLimit: 50 }), {
      maxConnectionLimit: 50,
    });

    expect(messages(outcome)).toEqual([]);
  });

  it("refuses membership in another role", async () => {
    const outcome = await validateResource(databasePrivileges, postgresRole({ roles: ["pg_read_all_data"] }));

    expect(messages(outcome)).toEqual([
      "roles[0] 'pg_read_all_data' must not be granted: the role would inherit its privileges",
    ]);
  });

  it("leaves a value unknown during preview to the SDK's advisory note, checked again in the update", async () => {
    const outcome = await validateResource(
      databasePrivileges,
      postgresRole({ connectionLimit: UNKNOWN.number as never }),
    );

    expect(outcome.violations).toEqual([]);
    expect(outcome.advisories).toEqual([
      "can't run policy 'database-privileges' from policy pack 'pluskube' during preview: number value at .connectionLimit can't be known during preview",
    ]);
  });
});
