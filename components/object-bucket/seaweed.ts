/**
 * The operations a bucket claim needs on a zone's SeaweedFS: buckets through its S3 API,
 * identities through the IAM API it serves on the same port, quotas through `weed shell`.
 *
 * Everything here also runs inside Pulumi's dynamic-provider host, which receives these
 * functions as source text serialized from the running program rather than as this module
 * (https://www.pulumi.com/docs/iac/concepts/providers/dynamic-providers/). So no function
 * refers to a module-level import: in an ES-module program those are live bindings the
 * serializer cannot turn back into imports. Each loads what it needs when it runs, through
 * `loadPackage`, and refers otherwise only to other functions of this module and plain data.
 * Types come from `import type`, which leaves nothing behind at run time.
 */
import { fileURLToPath } from "node:url";
import type * as S3 from "@aws-sdk/client-s3";
import type * as IAM from "@aws-sdk/client-iam";

/** This file, from where the AWS SDK is resolved; a plain string, so it survives serialization. */
const MODULE_FILE = fileURLToPath(import.meta.url);

/**
 * Loads a package with `require`, resolved from this file or else from the working directory
 * (the program's folder, where the dynamic-provider host runs).
 *
 * Not `await import()`: test runners such as vitest rewrite `import()` into a call into their
 * own module loader, and a provider serialized from such a program captures that loader, which
 * Pulumi cannot serialize. `process.getBuiltinModule` (Node 20.16+) reaches `createRequire`
 * without any import at all.
 */
export function loadPackage<T>(specifier: string): T {
  const { createRequire } = process.getBuiltinModule("node:module");
  let failure: unknown;
  for (const base of [MODULE_FILE, `${process.cwd()}/`]) {
    try {
      return createRequire(base)(specifier) as T;
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/** How to reach the zone's SeaweedFS S3 and IAM APIs as its administrator. */
export interface SeaweedAdmin {
  /** S3 endpoint such as `http://127.0.0.1:8333`; IAM is served on the same port. */
  readonly endpoint: string;
  /** Region to sign requests for; SeaweedFS accepts any. */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The identity of one bucket: an IAM user whose only key reaches only that bucket. */
export interface BucketIdentity {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** How to run `weed shell` against the zone's master, where bucket quotas are set. */
export interface QuotaShell {
  /** Master address such as `127.0.0.1:9333`. */
  readonly master: string;
  /** Path of the `weed` binary, or `weed` to find it on PATH. */
  readonly weedPath: string;
}

/** Name of the inline policy that confines a bucket's identity to its bucket. */
export const BUCKET_POLICY_NAME = "pluskube-bucket";

/** How long one `weed shell` run may take before it is stopped. */
export const WEED_SHELL_TIMEOUT_MS = 60_000;

/** The error's code as the AWS SDK reports it (`NoSuchBucket`, `NoSuchEntity`, ...). */
export function awsErrorName(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const named = error as { name?: unknown; Code?: unknown };
  return typeof named.Code === "string" ? named.Code : typeof named.name === "string" ? named.name : "";
}

/** Whether an error says that the thing asked for does not exist. */
export function isNotFound(error: unknown): boolean {
  const name = awsErrorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return (
    ["NotFound", "NoSuchBucket", "NoSuchEntity", "NoSuchEntityException", "NoSuchKey"].includes(name) ||
    status === 404
  );
}

/**
 * An S3 client for the zone, path-style because SeaweedFS does not serve bucket host names.
 * Checksums only where the API requires them: the SDK's default CRC headers on every request
 * are newer than what S3-compatible servers implement.
 */
export async function s3Client(
  admin: SeaweedAdmin,
  credentials: { accessKeyId: string; secretAccessKey: string } = admin,
): Promise<S3.S3Client> {
  const { S3Client: Client } = loadPackage<typeof S3>("@aws-sdk/client-s3");
  return new Client({
    endpoint: admin.endpoint,
    region: admin.region,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
  });
}

/** An IAM client that talks to the IAM API SeaweedFS serves on its S3 port. */
export async function iamClient(admin: SeaweedAdmin): Promise<IAM.IAMClient> {
  const { IAMClient: Client } = loadPackage<typeof IAM>("@aws-sdk/client-iam");
  return new Client({
    endpoint: admin.endpoint,
    region: admin.region,
    credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    maxAttempts: 3,
  });
}

/**
 * The inline policy of a bucket's identity: read, write, delete, list and tag objects of that
 * bucket and nothing else; no ACL or bucket deletion. Written with the coarse actions
 * (`s3:Get*`, ...) that every SeaweedFS version with embedded IAM understands; deleting objects
 * is not part of `s3:Put*` there, so `s3:DeleteObject` is named (not `s3:Delete*`, which would
 * include the bucket itself).
 */
export function bucketPolicyDocument(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["s3:Get*", "s3:Put*", "s3:List*", "s3:Tagging*", "s3:DeleteObject"],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
    ],
  });
}

/** Whether the bucket exists (as seen by the administrator). */
export async function bucketExists(admin: SeaweedAdmin, bucket: string): Promise<boolean> {
  const { HeadBucketCommand } = loadPackage<typeof S3>("@aws-sdk/client-s3");
  const client = await s3Client(admin);
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  } finally {
    client.destroy();
  }
}

/**
 * Creates the bucket. An existing bucket is refused rather than adopted: the administrator owns
 * every bucket, so adopting one would hand another project's data to a new identity.
 */
export async function createBucket(admin: SeaweedAdmin, bucket: string): Promise<void> {
  if (await bucketExists(admin, bucket)) {
    throw new Error(`bucket ${bucket} already exists on ${admin.endpoint}; refusing to take it over`);
  }
  const { CreateBucketCommand } = loadPackage<typeof S3>("@aws-sdk/client-s3");
  const client = await s3Client(admin);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/** Creates an IAM user with one access key and an inline policy confining it to the bucket. */
export async function createBucketIdentity(
  admin: SeaweedAdmin,
  userName: string,
  bucket: string,
): Promise<BucketIdentity> {
  const { CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } =
    loadPackage<typeof IAM>("@aws-sdk/client-iam");
  const client = await iamClient(admin);
  try {
    await client.send(new CreateUserCommand({ UserName: userName }));
    // The policy first: a key that exists before its policy would, for a moment, have none.
    await client.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: BUCKET_POLICY_NAME,
        PolicyDocument: bucketPolicyDocument(bucket),
      }),
    );
    const created = await client.send(new CreateAccessKeyCommand({ UserName: userName }));
    const key = created.AccessKey;
    if (!key?.AccessKeyId || !key.SecretAccessKey) {
      throw new Error(`CreateAccessKey for ${userName} on ${admin.endpoint} returned no key`);
    }
    return { userName, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  } finally {
    client.destroy();
  }
}

/** Deletes the user's access keys, its inline policy and the user; what is already gone is skipped. */
export async function deleteBucketIdentity(admin: SeaweedAdmin, userName: string): Promise<void> {
  const { ListAccessKeysCommand, DeleteAccessKeyCommand, DeleteUserPolicyCommand, DeleteUserCommand } =
    loadPackage<typeof IAM>("@aws-sdk/client-iam");
  const client = await iamClient(admin);
  const ignoreMissing = (error: unknown) => {
    if (!isNotFound(error)) throw error;
  };
  try {
    let keys: string[] = [];
    try {
      const listed = await client.send(new ListAccessKeysCommand({ UserName: userName }));
      keys = (listed.AccessKeyMetadata ?? []).flatMap((key) => (key.AccessKeyId ? [key.AccessKeyId] : []));
    } catch (error) {
      ignoreMissing(error);
    }
    for (const accessKeyId of keys) {
      await client
        .send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }))
        .catch(ignoreMissing);
    }
    await client
      .send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: BUCKET_POLICY_NAME }))
      .catch(ignoreMissing);
    await client.send(new DeleteUserCommand({ UserName: userName })).catch(ignoreMissing);
  } finally {
    client.destroy();
  }
}

/** Deletes every object, object version and unfinished upload in the bucket. */
export async function emptyBucket(admin: SeaweedAdmin, bucket: string): Promise<void> {
  const {
    ListObjectsV2Command,
    ListObjectVersionsCommand,
    DeleteObjectCommand,
    ListMultipartUploadsCommand,
    AbortMultipartUploadCommand,
  } = loadPackage<typeof S3>("@aws-sdk/client-s3");
  const client = await s3Client(admin);
  try {
    // One object at a time: DeleteObjects needs a Content-MD5 or checksum header that
    // S3-compatible servers disagree on, and buckets of a community zone are small.
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    // Versions and delete markers exist only when the bucket's owner turned versioning on.
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await client
        .send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            KeyMarker: keyMarker,
            VersionIdMarker: versionMarker,
          }),
        )
        .catch((error: unknown) => {
          if (["NotImplemented", "MethodNotAllowed"].includes(awsErrorName(error))) return undefined;
          throw error;
        });
      if (!page) break;
      for (const version of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (version.Key) {
          await client.send(
            new DeleteObjectCommand({ Bucket: bucket, Key: version.Key, VersionId: version.VersionId }),
          );
        }
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);

    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      if (upload.Key && upload.UploadId) {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
        );
      }
    }
  } finally {
    client.destroy();
  }
}

/** Empties and deletes the bucket; a bucket that is already gone is not an error. */
export async function deleteBucket(admin: SeaweedAdmin, bucket: string): Promise<void> {
  const { DeleteBucketCommand } = loadPackage<typeof S3>("@aws-sdk/client-s3");
  if (!(await bucketExists(admin, bucket))) return;
  await emptyBucket(admin, bucket);
  const client = await s3Client(admin);
  try {
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  } finally {
    client.destroy();
  }
}

/** Runs commands in `weed shell` against the master, fed on standard input; returns all it printed. */
export async function runWeedShell(shell: QuotaShell, commands: readonly string[]): Promise<string> {
  const { spawn } = process.getBuiltinModule("node:child_process");
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(shell.weedPath, ["shell", `-master=${shell.master}`], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`weed shell at ${shell.master} did not finish within ${WEED_SHELL_TIMEOUT_MS} ms`));
    }, WEED_SHELL_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${shell.weedPath} shell: ${error.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(new Error(`${shell.weedPath} shell -master=${shell.master} exited with ${code}: ${output}`));
    });
    child.stdin.end(`${commands.join("\n")}\n`);
  });
}

/** The quota `s3.bucket.quota -op=get` printed, in MiB; negative when the quota is disabled. */
export function parseBucketQuota(output: string): number | undefined {
  const match = /bucket quota:\s*(-?\d+)\s*MiB/.exec(output);
  return match ? Number(match[1]) : undefined;
}

/** Reads the bucket's quota in MiB (0 when none is set). */
export async function getBucketQuota(shell: QuotaShell, bucket: string): Promise<number> {
  const output = await runWeedShell(shell, [`s3.bucket.quota -name=${bucket} -op=get`]);
  const quota = parseBucketQuota(output);
  if (quota === undefined) {
    throw new Error(`could not read the quota of bucket ${bucket} through weed shell: ${output.trim()}`);
  }
  return quota;
}

/**
 * Sets the bucket's size quota and reads it back, because `weed shell` reports a failed command
 * in its output but still exits with 0. The quota alone refuses nothing: SeaweedFS turns a
 * bucket that outgrows it read-only (and back) only when `s3.bucket.quota.enforce -apply` runs,
 * so that runs here too, and a new, raised or lowered quota takes effect now rather than at the
 * next periodic enforcement.
 */
export async function setBucketQuota(shell: QuotaShell, bucket: string, sizeMB: number): Promise<void> {
  const output = await runWeedShell(shell, [
    `s3.bucket.quota -name=${bucket} -op=set -sizeMB=${sizeMB}`,
    `s3.bucket.quota -name=${bucket} -op=get`,
    BUCKET_QUOTA_ENFORCE,
  ]);
  const quota = parseBucketQuota(output);
  if (quota !== sizeMB) {
    throw new Error(
      `setting the quota of bucket ${bucket} to ${sizeMB} MiB through weed shell at ${shell.master} ` +
        `did not take: ${output.trim()}`,
    );
  }
}

/**
 * The `weed shell` command that compares every bucket's stored bytes with its quota and turns
 * the buckets over it read-only, and those back under it writable, in the filer's
 * configuration (`/etc/seaweedfs/filer.conf`). Without `-apply` it only reports.
 */
export const BUCKET_QUOTA_ENFORCE = "s3.bucket.quota.enforce -apply";

/** A bucket whose writability `s3.bucket.quota.enforce` changed. */
export interface QuotaFlip {
  readonly bucket: string;
  /** True when the bucket was turned read-only, false when it was made writable again. */
  readonly readOnly: boolean;
}

/**
 * What `s3.bucket.quota.enforce` changed, from its output: a `changing bucket NAME to read only!`
 * or `changing bucket NAME to writable.` line per bucket whose flag it flipped.
 */
export function parseQuotaFlips(output: string): QuotaFlip[] {
  const flips: QuotaFlip[] = [];
  for (const match of output.matchAll(/changing bucket (\S+) to (read only|writable)/g)) {
    flips.push({ bucket: match[1] ?? "", readOnly: match[2] === "read only" });
  }
  return flips;
}

/** The first `error: ...` line `weed shell` printed, since it exits with 0 after a failed command. */
export function weedShellError(output: string): string | undefined {
  return /^error: (.*)$/m.exec(output)?.[1];
}

/**
 * Has SeaweedFS enforce every bucket quota of the zone now and returns the buckets whose
 * writability changed. The sizes it compares are the master's per-collection counts (live
 * bytes plus a few dozen bytes of overhead per object), which volume servers report with
 * their heartbeats, so a write or delete is seen some seconds after it is made.
 */
export async function enforceBucketQuotas(shell: QuotaShell): Promise<QuotaFlip[]> {
  const output = await runWeedShell(shell, [BUCKET_QUOTA_ENFORCE]);
  const error = weedShellError(output);
  if (error !== undefined) {
    throw new Error(`enforcing bucket quotas through weed shell at ${shell.master} failed: ${error}`);
  }
  return parseQuotaFlips(output);
}

/**
 * The buckets that the filer configuration printed by `fs.configure` marks read-only: those
 * `s3.bucket.quota.enforce` found over quota (or that an operator locked by hand). Rules name
 * a bucket as `<buckets folder>/<bucket>/`, the buckets folder being `/buckets` by default.
 */
export function parseReadOnlyBuckets(output: string, bucketsFolder = "/buckets"): Set<string> {
  const start = output.indexOf("{");
  const end = output.lastIndexOf("}");
  const readOnly = new Set<string>();
  if (start < 0 || end < start) return readOnly;
  let conf: { locations?: { locationPrefix?: unknown; readOnly?: unknown }[] };
  try {
    conf = JSON.parse(output.slice(start, end + 1)) as typeof conf;
  } catch {
    throw new Error(`could not read the filer configuration weed shell printed: ${output.trim()}`);
  }
  const prefix = `${bucketsFolder.replace(/\/+$/, "")}/`;
  for (const location of conf.locations ?? []) {
    const path = typeof location.locationPrefix === "string" ? location.locationPrefix : "";
    if (location.readOnly !== true || !path.startsWith(prefix)) continue;
    const bucket = path.slice(prefix.length).replace(/\/+$/, "");
    if (bucket !== "" && !bucket.includes("/")) readOnly.add(bucket);
  }
  return readOnly;
}

/** The buckets of the zone that currently refuse writes, as the filer's configuration says. */
export async function readOnlyBuckets(shell: QuotaShell): Promise<Set<string>> {
  const output = await runWeedShell(shell, ["fs.configure"]);
  const error = weedShellError(output);
  if (error !== undefined) {
    throw new Error(`reading the filer configuration through weed shell at ${shell.master} failed: ${error}`);
  }
  return parseReadOnlyBuckets(output);
}
