import { describe, expect, it } from "vitest";
import { parseProjectSpec, type ProjectSpecInput } from "../../spec/project.js";
import { credentialEnv, credentialPrefix } from "../../stacks/project/credentials.js";

const spec = (input: Partial<ProjectSpecInput>) =>
  parseProjectSpec({
    project: "shop",
    zone: "lisbon",
    apps: [{ name: "web", image: "nginx:1.27" }],
    ...input,
  });
const names = (input: Partial<ProjectSpecInput>) => {
  const parsed = spec(input);
  return credentialEnv(parsed, parsed.apps[0] as (typeof parsed.apps)[number]).map((ref) => ref.name);
};

describe("credentialEnv", () => {
  it("names one database's variables as libpq reads them", () => {
    expect(names({ databases: [{ name: "main", sizeGB: 1 }] })).toEqual([
      "DATABASE_URL",
      "PGHOST",
      "PGPORT",
      "PGDATABASE",
      "PGUSER",
      "PGPASSWORD",
      "PGSSLMODE",
    ]);
  });

  it("prefixes each database's variables with its name when there are several", () => {
    const result = names({
      databases: [
        { name: "main", sizeGB: 1 },
        { name: "audit-log", sizeGB: 1 },
      ],
    });
    expect(result).toContain("MAIN_DATABASE_URL");
    expect(result).toContain("AUDIT_LOG_PGPASSWORD");
    expect(result).not.toContain("DATABASE_URL");
  });

  it("gives one bucket's endpoint, bucket, region and keys unprefixed", () => {
    expect(names({ buckets: [{ name: "media", sizeGB: 1 }] })).toEqual([
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_ENDPOINT_URL_S3",
      "AWS_REGION",
      "S3_BUCKET",
    ]);
  });

  it("gives only the claims the app's uses names", () => {
    const result = names({
      apps: [{ name: "web", image: "nginx:1.27", uses: { databases: ["main"], buckets: [] } }],
      databases: [
        { name: "main", sizeGB: 1 },
        { name: "other", sizeGB: 1 },
      ],
      buckets: [{ name: "media", sizeGB: 1 }],
    });
    expect(result).toContain("DATABASE_URL");
    expect(result.some((name) => name.startsWith("AWS_") || name.startsWith("OTHER_"))).toBe(false);
  });

  it("refers to each claim's Secret and key", () => {
    const parsed = spec({ databases: [{ name: "main", sizeGB: 1 }] });
    expect(credentialEnv(parsed, parsed.apps[0] as (typeof parsed.apps)[number])[0]).toEqual({
      name: "DATABASE_URL",
      secretName: "database-main",
      key: "DATABASE_URL",
    });
  });

  it("turns a claim's name into a variable prefix", () => {
    expect(credentialPrefix("user-data")).toBe("USER_DATA_");
  });

  it("refuses a spec whose app uses a database the project does not have", () => {
    expect(() =>
      spec({ apps: [{ name: "web", image: "nginx:1.27", uses: { databases: ["nope"] } }] }),
    ).toThrow(/unknown database 'nope'/);
  });
});
