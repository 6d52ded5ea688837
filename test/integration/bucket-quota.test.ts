/**
 * Bucket quotas on the local zone's real SeaweedFS, enforced the way the service enforces them:
 * a bucket filled past its quota refuses writes while reads, listings and deletes go on, and
 * accepts writes again once deletes bring it back under or its quota is raised. Prints the
 * delays it measures. Needs `npm run zone:up`.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { resolveZonePath } from "../../localzone/paths.js";
import { toolchainPaths } from "../../localzone/toolchain.js";
import { simulatedZone } from "../../localzone/zone.js";
import {
  bucketExists,
  createBucket,
  createBucketIdentity,
  deleteBucket,
  deleteBucketIdentity,
  setBucketQuota,
  type BucketIdentity,
  type QuotaShell,
  type SeaweedAdmin,
} from "../../components/object-bucket/seaweed.js";
import { weedBucketQuotas } from "../../automation-api/datastores/bucket-quotas.js";
import { BucketQuotaEnforcer } from "../../automation-api/jobs/bucket-quota-enforcer.js";
import { staticZones } from "../../automation-api/domain/zones.js";
import { bucketWrites, OVER_QUOTA_NOTE } from "../../automation-api/http/bucket-writes.js";

const zone = simulatedZone();
const admin: SeaweedAdmin = {
  endpoint: zone.s3.endpoint,
  region: zone.s3.region,
  accessKeyId: readFileSync(resolveZonePath(zone.s3.adminAccessKeyFile), "utf8").trim(),
  secretAccessKey: readFileSync(resolveZonePath(zone.s3.adminSecretKeyFile), "utf8").trim(),
};
const weed = toolchainPaths().weed;
const shell: QuotaShell = { master: zone.s3.shellMaster ?? "", weedPath: weed };
const quotas = weedBucketQuotas(weed);
const enforcer = new BucketQuotaEnforcer({ zones: staticZones([zone]), quotas });

const MiB = 1024 * 1024;
/** The quota of the bucket under test: SeaweedFS's unit is the MiB, and one fills in a second. */
const QUOTA_MB = 1;
/** Each object: three fill the quota past its end, two fit under it with room to spare. */
const OBJECT = Buffer.alloc(400 * 1024, 7);

const bucket = `it-quota-${randomBytes(4).toString("hex")}`;
let identity: BucketIdentity;
let member: S3Client;

/** The bucket's own key, as the member's app holds it; no retries, so that a refusal is seen once. */
function clientFor(key: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint: admin.endpoint,
    region: admin.region,
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
  });
}

/** `ok`, or the S3 error code and HTTP status a request fails with. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    const failed = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return `${failed.name ?? String(error)} ${failed.$metadata?.httpStatusCode ?? ""}`.trim();
  }
}

const put = (key: string) =>
  outcome(member.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: OBJECT })));

/**
 * Runs the service's enforcement, as its timer does, until the bucket's writes are refused (or
 * accepted) or `ms` pass; the seconds it took. Volume servers report writes and deletes to the
 * master with their heartbeats, so the first runs may not see them yet. Half a minute is well
 * under the minute SeaweedFS's S3 gateway waits between its own enforcements, so what is seen
 * here is the service's doing.
 */
async function enforceUntil(refused: boolean, ms = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    await enforcer.enforce(zone);
    if ((await quotas.state(zone, bucket))?.writesRefused === refused) return (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`bucket ${bucket} did not turn ${refused ? "read-only" : "writable"} within ${ms} ms`);
}

beforeAll(async () => {
  const reachable = await outcome(bucketExists(admin, "pluskube-reachability-probe"));
  if (reachable !== "ok") {
    throw new Error(
      `the local zone's SeaweedFS does not answer at ${admin.endpoint} (${reachable}); run zone:up`,
    );
  }
  expect(zone.s3.shellMaster, "zones/local.yaml names the shell master").toBeTruthy();
  await createBucket(admin, bucket);
  identity = await createBucketIdentity(admin, bucket, bucket);
  await setBucketQuota(shell, bucket, QUOTA_MB);
  member = clientFor(identity);
  // SeaweedFS picks up a new identity asynchronously.
  const deadline = Date.now() + 10_000;
  while ((await put("hello")) !== "ok" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await outcome(member.send(new DeleteObjectCommand({ Bucket: bucket, Key: "hello" })));
});

afterAll(async () => {
  member?.destroy();
  await deleteBucketIdentity(admin, bucket);
  await deleteBucket(admin, bucket);
});

describe("a bucket quota the service enforces", () => {
  it("refuses writes past the quota, keeps reads, listings and deletes, and accepts writes once back under", async () => {
    // Fill: three objects of 400 KiB are 1.2 MiB, past the 1 MiB quota.
    for (const key of ["a", "b", "c"]) expect(await put(key)).toBe("ok");
    const filledAt = Date.now();
    const toRefused = await enforceUntil(true);
    console.log(`writes refused ${((Date.now() - filledAt) / 1000).toFixed(1)} s after the last write`);

    // The write beyond the quota is refused; SeaweedFS 4.48 answers a bare InternalError.
    expect(await put("d")).toBe("InternalError 500");
    const status = await bucketWrites(quotas, zone, bucket, QUOTA_MB * MiB);
    expect(status.state).toBe("refused");
    expect(status.countedBytes).toBeGreaterThan(QUOTA_MB * MiB);
    expect(status.reason).toContain(OVER_QUOTA_NOTE);

    // Reads, listings and deletes go on.
    const read = await member.send(new GetObjectCommand({ Bucket: bucket, Key: "a" }));
    expect((await read.Body?.transformToByteArray())?.length).toBe(OBJECT.length);
    const listed = await member.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((listed.Contents ?? []).map((object) => object.Key).sort()).toEqual(["a", "b", "c"]);
    expect(await outcome(member.send(new DeleteObjectCommand({ Bucket: bucket, Key: "a" })))).toBe("ok");
    expect(await outcome(member.send(new DeleteObjectCommand({ Bucket: bucket, Key: "b" })))).toBe("ok");

    // Back under the quota: writes are accepted again.
    const deletedAt = Date.now();
    await enforceUntil(false);
    console.log(
      `writes accepted again ${((Date.now() - deletedAt) / 1000).toFixed(1)} s after the deletes ` +
        `(refusal seen by enforcement ${toRefused.toFixed(1)} s after filling)`,
    );
    expect(await put("d")).toBe("ok");
    expect((await bucketWrites(quotas, zone, bucket, QUOTA_MB * MiB)).state).toBe("accepted");
  });

  it("accepts writes as soon as a raised quota is set", async () => {
    for (const key of ["e", "f"]) expect(await put(key)).toBe("ok");
    await enforceUntil(true);
    expect(await put("g")).toBe("InternalError 500");

    const raisedAt = Date.now();
    await setBucketQuota(shell, bucket, QUOTA_MB * 4);
    console.log(
      `writes accepted ${((Date.now() - raisedAt) / 1000).toFixed(1)} s after the quota was raised`,
    );

    expect((await quotas.state(zone, bucket))?.writesRefused).toBe(false);
    expect(await put("g")).toBe("ok");
  });
});
