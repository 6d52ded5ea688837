import { describe, expect, it } from "vitest";
import {
  databaseIdentifier,
  validateProjectDatabaseArgs,
  type ProjectDatabaseArgs,
} from "../../components/project-database/index.js";
import {
  bucketName,
  bucketNameProblem,
  isHostPort,
  isHttpUrl,
  validateObjectBucketArgs,
  type ObjectBucketArgs,
} from "../../components/object-bucket/index.js";

describe("database role and database names", () => {
  it.each([
    ["shop", "main", "shop_main"],
    ["my-shop", "main", "my_shop_main"],
    ["a1", "b2", "a1_b2"],
  ])("are %s + %s → %s when that is unambiguous", (project, name, identifier) => {
    expect(databaseIdentifier(project, name)).toBe(identifier);
  });

  it("carry a hash when the database name has a dash, so split-differently names differ", () => {
    const first = databaseIdentifier("a-b", "c");
    const second = databaseIdentifier("a", "b-c");

    expect(first).toBe("a_b_c");
    expect(second).toMatch(/^a_b_c__[0-9a-f]{16}$/);
    expect(first).not.toBe(second);
  });

  it("fit PostgreSQL's 63 characters and stay distinct when cut", () => {
    const project = "p".repeat(40);
    const first = databaseIdentifier(project, "a".repeat(39) + "1");
    const second = databaseIdentifier(project, "a".repeat(39) + "2");

    expect(first.length).toBeLessThanOrEqual(63);
    expect(second.length).toBeLessThanOrEqual(63);
    expect(first).not.toBe(second);
  });
});

describe("bucket names", () => {
  it.each([
    ["shop", "media", "shop-media"],
    ["my-shop", "media", "my-shop-media"],
  ])("are %s + %s → %s when that is unambiguous", (project, name, bucket) => {
    expect(bucketName(project, name)).toBe(bucket);
  });

  it("carry a hash when the bucket name has a dash, so split-differently names differ", () => {
    expect(bucketName("a-b", "c")).toBe("a-b-c");
    expect(bucketName("a", "b-c")).toMatch(/^a-b-c--[0-9a-f]{16}$/);
  });

  it("fit S3's 63 characters and are valid S3 names even when cut", () => {
    const bucket = bucketName("p".repeat(40), "m".repeat(40));

    expect(bucket.length).toBeLessThanOrEqual(63);
    expect(bucketNameProblem(bucket)).toBeUndefined();
  });

  it.each([
    ["ab", "must be 3 to 63 characters long"],
    ["Shop-media", "may hold only lowercase letters"],
    ["shop-", "may hold only lowercase letters"],
    ["shop..media", "must not hold two dots in a row"],
    ["192.168.1.1", "must not look like an IP address"],
    ["xn--shop-media", "must not start with xn--"],
    ["sthree-media", "must not start with sthree-"],
    ["shop-s3alias", "must not end with -s3alias"],
  ])("refuse %s: %s", (bucket, problem) => {
    expect(bucketNameProblem(bucket)).toContain(problem);
  });
});

describe("endpoint and master addresses", () => {
  it.each([
    ["http://127.0.0.1:8333", true],
    ["https://s3.zone.example.org", true],
    ["127.0.0.1:8333", false],
    ["ftp://s3.example.org", false],
    ["not a url", false],
  ])("%s is an http(s) URL: %s", (value, expected) => {
    expect(isHttpUrl(value)).toBe(expected);
  });

  it.each([
    ["127.0.0.1:9333", true],
    ["seaweedfs-master.zone:9333", true],
    ["[::1]:9333", true],
    ["127.0.0.1", false],
    ["127.0.0.1:0", false],
    ["127.0.0.1:99999", false],
    ["http://127.0.0.1:9333", false],
  ])("%s is host:port: %s", (value, expected) => {
    expect(isHostPort(value)).toBe(expected);
  });
});

describe("validateProjectDatabaseArgs", () => {
  const valid: ProjectDatabaseArgs = {
    project: "shop",
    namespace: "shop",
    name: "main",
    sizeGB: 1,
    host: "db",
  };

  it("accepts valid arguments", () => {
    expect(() => validateProjectDatabaseArgs(valid)).not.toThrow();
  });

  it.each<[keyof ProjectDatabaseArgs, unknown]>([
    ["project", ""],
    ["name", "-main"],
    ["sizeGB", Number.POSITIVE_INFINITY],
    ["connectionLimit", 501],
    ["namespace", undefined],
    ["host", undefined],
    ["port", 0],
    ["sslmode", "on"],
  ])("names %s when it is %j", (argument, value) => {
    expect(() => validateProjectDatabaseArgs({ ...valid, [argument]: value })).toThrow(`${argument} must be`);
  });

  it("lists every problem at once", () => {
    expect(() => validateProjectDatabaseArgs({ ...valid, project: "", sizeGB: 0 })).toThrow(
      /project must be .*; sizeGB must be/,
    );
  });
});

describe("validateObjectBucketArgs", () => {
  const valid: ObjectBucketArgs = {
    project: "shop",
    namespace: "shop",
    name: "media",
    sizeGB: 1,
    endpoint: "http://127.0.0.1:8333",
    adminAccessKeyId: "k",
    adminSecretAccessKey: "s",
  };

  it("accepts valid arguments", () => {
    expect(() => validateObjectBucketArgs(valid)).not.toThrow();
  });

  it.each<[keyof ObjectBucketArgs, unknown]>([
    ["project", "-shop"],
    ["name", "m".repeat(41)],
    ["sizeGB", 10_241],
    ["namespace", "Shop"],
    ["endpoint", undefined],
    ["clusterEndpoint", "seaweedfs:8333"],
    ["region", ""],
    ["adminAccessKeyId", undefined],
    ["adminSecretAccessKey", ""],
    ["shellMaster", "master"],
    ["weedPath", ""],
  ])("names %s when it is %j", (argument, value) => {
    expect(() => validateObjectBucketArgs({ ...valid, [argument]: value })).toThrow(`${argument} must be`);
  });
});
