/**
 * Buckets on the local zone's real SeaweedFS: the operations ObjectBucket's provider is built
 * from, and the provider itself through the real Pulumi engine. Needs `npm run zone:up`.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { resolveZonePath } from "../../localzone/paths.js";
import { toolchainPaths } from "../../localzone/toolchain.js";
import { simulatedZone } from "../../localzone/zone.js";
import { workspaceOptions } from "./helpers/local-zone.js";
import {
  bucketExists,
  createBucket,
  createBucketIdentity,
  deleteBucket,
  deleteBucketIdentity,
  getBucketQuota,
  setBucketQuota,
  type BucketIdentity,
  type QuotaShell,
  type SeaweedAdmin,
} from "../../components/object-bucket/seaweed.js";
import { SeaweedBucket } from "../../components/object-bucket/provider.js";

const zone = simulatedZone();
const admin: SeaweedAdmin = {
  endpoint: zone.s3.endpoint,
  region: zone.s3.region,
  accessKeyId: readFileSync(resolveZonePath(zone.s3.adminAccessKeyFile), "utf8").trim(),
  secretAccessKey: readFileSync(resolveZonePath(zone.s3.adminSecretKeyFile), "utf8").trim(),
};
const tools = toolchainPaths();
const shell: QuotaShell = { master: zone.s3.shellMaster ?? "", weedPath: tools.weed };

/** A bucket name no earlier run has used. */
const fresh = (what: string) => `it-${what}-${randomBytes(4).toString("hex")}`;

function clientFor(identity: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint: admin.endpoint,
    region: admin.region,
    forcePathStyle: true,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** The S3 error code a request fails with, or "ok". */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return (error as { name?: string }).name ?? String(error);
  }
}

/** SeaweedFS picks up identity changes asynchronously; retries until the key works or time runs out. */
async function eventually(check: () => Promise<string>, expected: string, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = await check();
  while (last !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await check();
  }
  return last;
}

beforeAll(async () => {
  const reachable = await outcome(bucketExists(admin, "pluskube-reachability-probe"));
  if (reachable !== "ok") {
    throw new Error(
      `the local zone's SeaweedFS does not answer at ${admin.endpoint} (${reachable}); start it with npm run zone:up`,
    );
  }
  expect(zone.s3.shellMaster, "zones/local.yaml names the shell master").toBeTruthy();
});

describe("a bucket identity on SeaweedFS", () => {
  const own = fresh("own");
  const other = fresh("other");
  let identity: BucketIdentity;
  let client: S3Client;

  beforeAll(async () => {
    await createBucket(admin, own);
    await createBucket(admin, other);
    identity = await createBucketIdentity(admin, own, own);
    client = clientFor(identity);
    const adminClient = clientFor(admin);
    await adminClient.send(new PutObjectCommand({ Bucket: other, Key: "private.txt", Body: "not yours" }));
    adminClient.destroy();
  });

  afterAll(async () => {
    client?.destroy();
    await deleteBucketIdentity(admin, own);
    await deleteBucket(admin, own);
    await deleteBucket(admin, other);
  });

  it("reads, writes, lists and deletes objects in its own bucket", async () => {
    const put = () =>
      outcome(client.send(new PutObjectCommand({ Bucket: own, Key: "hello.txt", Body: "hi" })));
    expect(await eventually(put, "ok")).toBe("ok");

    const got = await client.send(new GetObjectCommand({ Bucket: own, Key: "hello.txt" }));
    expect(await got.Body?.transformToString()).toBe("hi");
    const listed = await client.send(new ListObjectsV2Command({ Bucket: own }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(["hello.txt"]);
    expect(await outcome(client.send(new DeleteObjectCommand({ Bucket: own, Key: "hello.txt" })))).toBe("ok");
  });

  it.each([
    ["read an object of another bucket", () => new GetObjectCommand({ Bucket: other, Key: "private.txt" })],
    ["write into another bucket", () => new PutObjectCommand({ Bucket: other, Key: "x.txt", Body: "x" })],
    ["list another bucket", () => new ListObjectsV2Command({ Bucket: other })],
    [
      "delete an object of another bucket",
      () => new DeleteObjectCommand({ Bucket: other, Key: "private.txt" }),
    ],
    ["create a bucket", () => new CreateBucketCommand({ Bucket: fresh("new") })],
    ["delete its own bucket", () => new DeleteBucketCommand({ Bucket: own })],
  ])("is refused when it tries to %s", async (_, command) => {
    // Wait until the key works at all, so that a refusal below is the policy and not propagation.
    const works = () => outcome(client.send(new ListObjectsV2Command({ Bucket: own })));
    expect(await eventually(works, "ok")).toBe("ok");

    expect(await outcome(client.send(command() as never))).toBe("AccessDenied");
  });
});

describe("a bucket quota through weed shell", () => {
  const bucket = fresh("quota");

  beforeAll(() => createBucket(admin, bucket));
  afterAll(() => deleteBucket(admin, bucket));

  it("is set, read back and changed", async () => {
    await setBucketQuota(shell, bucket, 5);
    expect(await getBucketQuota(shell, bucket)).toBe(5);

    await setBucketQuota(shell, bucket, 7);
    expect(await getBucketQuota(shell, bucket)).toBe(7);
  });
});

describe("deleting a bucket claim", () => {
  it("removes the bucket with its objects and the identity with its key", async () => {
    const bucket = fresh("gone");
    await createBucket(admin, bucket);
    const identity = await createBucketIdentity(admin, bucket, bucket);
    const client = clientFor(identity);
    const put = (key: string) =>
      outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key })));
    expect(await eventually(() => put("a.txt"), "ok")).toBe("ok");
    expect(await put("b/c.txt")).toBe("ok");

    await deleteBucket(admin, bucket);
    await deleteBucketIdentity(admin, bucket);

    expect(await bucketExists(admin, bucket)).toBe(false);
    const refused = await eventually(() => put("again.txt"), "InvalidAccessKeyId");
    expect(["InvalidAccessKeyId", "AccessDenied"]).toContain(refused);
    client.destroy();
  });
});

describe("the SeaweedBucket provider through the Pulumi engine", () => {
  const bucket = fresh("engine");
  const stackName = `object-storage-${process.pid}`;
  let stack: Stack;
  let sizeMB = 5;

  const program = async () => {
    const store = new SeaweedBucket("bucket", {
      bucket,
      userName: bucket,
      sizeMB,
      endpoint: admin.endpoint,
      region: admin.region,
      adminAccessKeyId: admin.accessKeyId,
      adminSecretAccessKey: admin.secretAccessKey,
      shellMaster: shell.master,
      weedPath: shell.weedPath,
    });
    return {
      bucket: store.bucket,
      accessKeyId: store.accessKeyId,
      secretAccessKey: store.secretAccessKey,
      quotaEnforced: store.quotaEnforced,
    };
  };

  beforeAll(async () => {
    stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "pluskube-object-storage-test", stackName, program },
      await workspaceOptions(),
    );
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
  });

  it("creates the bucket with a working key and the quota", async () => {
    const result = await stack.up();

    expect(result.outputs.bucket?.value).toBe(bucket);
    expect(result.outputs.secretAccessKey?.secret).toBe(true);
    expect(result.outputs.quotaEnforced?.value).toBe(true);
    expect(await getBucketQuota(shell, bucket)).toBe(5);
    const client = clientFor({
      accessKeyId: result.outputs.accessKeyId?.value as string,
      secretAccessKey: result.outputs.secretAccessKey?.value as string,
    });
    const put = () => outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "v" })));
    expect(await eventually(put, "ok")).toBe("ok");
    client.destroy();
  });

  it("changes the quota in place, keeping bucket and key", async () => {
    const before = await stack.outputs();
    sizeMB = 9;

    const result = await stack.up();

    expect(result.summary.resourceChanges?.update).toBe(1);
    expect(result.summary.resourceChanges?.create ?? 0).toBe(0);
    expect(result.outputs.accessKeyId?.value).toBe(before.accessKeyId?.value);
    expect(await getBucketQuota(shell, bucket)).toBe(9);
  });

  it("deletes bucket, objects and identity on destroy", async () => {
    await stack.destroy();

    expect(await bucketExists(admin, bucket)).toBe(false);
  });
});
