import * as pulumi from "@pulumi/pulumi";
import {
  bucketExists,
  createBucket,
  createBucketIdentity,
  deleteBucket,
  deleteBucketIdentity,
  getBucketQuota,
  setBucketQuota,
  type QuotaShell,
  type SeaweedAdmin,
} from "./seaweed.js";

/**
 * What the SeaweedBucket provider works from, as plain values. The engine hands a dynamic
 * provider's `delete` and `read` only the stored outputs, so the outputs repeat all of these,
 * the administrator's key included (kept secret through `additionalSecretOutputs`).
 */
export interface SeaweedBucketInputs {
  /** Bucket name; a change replaces the bucket, and with it its contents. */
  readonly bucket: string;
  /** IAM user of the bucket's identity; a change replaces the bucket. */
  readonly userName: string;
  /** Size quota in MiB. */
  readonly sizeMB: number;
  readonly endpoint: string;
  readonly region: string;
  readonly adminAccessKeyId: string;
  readonly adminSecretAccessKey: string;
  /** `weed shell` master address; without it the quota is not set and the outputs say so. */
  readonly shellMaster?: string;
  readonly weedPath: string;
}

/** The stored state of a SeaweedBucket: its inputs plus the identity's key and the quota's state. */
export interface SeaweedBucketOutputs extends SeaweedBucketInputs {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Whether SeaweedFS holds the quota (false when no shell master was given). */
  readonly quotaEnforced: boolean;
  /** The quota's state in words, for people reading the stack's outputs. */
  readonly quotaStatus: string;
}

/** Properties whose change makes a new bucket: S3 has no rename. */
export const REPLACING_PROPERTIES = ["bucket", "userName"] as const;
/** Properties changed in place: the quota, and how the bucket is reached. */
export const UPDATING_PROPERTIES = [
  "sizeMB",
  "endpoint",
  "region",
  "adminAccessKeyId",
  "adminSecretAccessKey",
  "shellMaster",
  "weedPath",
] as const;

/** Outputs of a SeaweedBucket that must never be shown in the clear. */
export const SECRET_OUTPUTS = ["secretAccessKey", "adminAccessKeyId", "adminSecretAccessKey"];

/** The dynamic provider's diff: a new name replaces the bucket; anything else is an in-place update. */
export function diffSeaweedBucket(
  olds: Partial<SeaweedBucketOutputs>,
  news: Partial<SeaweedBucketInputs>,
): pulumi.dynamic.DiffResult {
  const replaces = REPLACING_PROPERTIES.filter((key) => olds[key] !== news[key]);
  const updates = UPDATING_PROPERTIES.filter((key) => (olds[key] ?? null) !== (news[key] ?? null));
  return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: false };
}

/** The administrator's connection, from a SeaweedBucket's inputs or outputs. */
export function adminOf(props: SeaweedBucketInputs): SeaweedAdmin {
  return {
    endpoint: props.endpoint,
    region: props.region,
    accessKeyId: props.adminAccessKeyId,
    secretAccessKey: props.adminSecretAccessKey,
  };
}

/** The shell that sets quotas, or `undefined` when the zone gave no master. */
export function shellOf(props: SeaweedBucketInputs): QuotaShell | undefined {
  return props.shellMaster ? { master: props.shellMaster, weedPath: props.weedPath } : undefined;
}

/** Sets the quota when a shell is available and describes the result. */
export async function applyQuota(
  props: SeaweedBucketInputs,
): Promise<Pick<SeaweedBucketOutputs, "quotaEnforced" | "quotaStatus">> {
  const shell = shellOf(props);
  if (!shell) {
    return {
      quotaEnforced: false,
      quotaStatus: `not enforced: no shell master was given, so bucket ${props.bucket} may grow beyond ${props.sizeMB} MiB`,
    };
  }
  await setBucketQuota(shell, props.bucket, props.sizeMB);
  return {
    quotaEnforced: true,
    quotaStatus: `${props.sizeMB} MiB, set through weed shell at ${shell.master}`,
  };
}

/** Only the input properties of a props bag, so that outputs never carry stray fields. */
export function inputsOf(props: SeaweedBucketInputs): SeaweedBucketInputs {
  return {
    bucket: props.bucket,
    userName: props.userName,
    sizeMB: props.sizeMB,
    endpoint: props.endpoint,
    region: props.region,
    adminAccessKeyId: props.adminAccessKeyId,
    adminSecretAccessKey: props.adminSecretAccessKey,
    ...(props.shellMaster ? { shellMaster: props.shellMaster } : {}),
    weedPath: props.weedPath,
  };
}

/**
 * Creates bucket, identity and quota, or nothing: when a later step fails the earlier ones are
 * undone, since the engine records no state for a failed create and would otherwise find the
 * bucket taken on the next attempt.
 */
export async function provisionSeaweedBucket(props: SeaweedBucketInputs): Promise<SeaweedBucketOutputs> {
  const admin = adminOf(props);
  await createBucket(admin, props.bucket);
  try {
    const identity = await createBucketIdentity(admin, props.userName, props.bucket);
    const quota = await applyQuota(props);
    return {
      ...inputsOf(props),
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      ...quota,
    };
  } catch (error) {
    // The identity may be half made (a user without a key); deleting skips what does not exist.
    const undo = await Promise.allSettled([
      deleteBucketIdentity(admin, props.userName),
      deleteBucket(admin, props.bucket),
    ]);
    const failures = undo.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      failures.length === 0
        ? `creating bucket ${props.bucket} failed and was undone: ${message}`
        : `creating bucket ${props.bucket} failed: ${message}; undoing it failed too: ${failures.join("; ")}`,
    );
  }
}

/** Deletes the bucket with everything in it, then its identity. */
export async function removeSeaweedBucket(props: SeaweedBucketOutputs): Promise<void> {
  const admin = adminOf(props);
  await deleteBucket(admin, props.bucket);
  await deleteBucketIdentity(admin, props.userName);
}

/** Reads back whether the bucket exists and, when a shell is available, its quota. */
export async function readSeaweedBucket(
  id: string,
  props: SeaweedBucketOutputs,
): Promise<pulumi.dynamic.ReadResult<SeaweedBucketOutputs>> {
  if (!(await bucketExists(adminOf(props), props.bucket))) return { id: "", props: undefined };
  const shell = shellOf(props);
  if (!shell) return { id, props };
  return { id, props: { ...props, sizeMB: await getBucketQuota(shell, props.bucket) } };
}

/** Applies an in-place change: only the quota lives on the server; the rest is how to reach it. */
export async function updateSeaweedBucket(
  olds: SeaweedBucketOutputs,
  news: SeaweedBucketInputs,
): Promise<SeaweedBucketOutputs> {
  const quotaChanged =
    olds.sizeMB !== news.sizeMB || olds.shellMaster !== news.shellMaster || olds.weedPath !== news.weedPath;
  const quota = quotaChanged
    ? await applyQuota(news)
    : { quotaEnforced: olds.quotaEnforced, quotaStatus: olds.quotaStatus };
  return {
    ...inputsOf(news),
    accessKeyId: olds.accessKeyId,
    secretAccessKey: olds.secretAccessKey,
    ...quota,
  };
}

/** Names a required property that is missing, for `check`. */
export function checkSeaweedBucket(news: Partial<SeaweedBucketInputs>): pulumi.dynamic.CheckFailure[] {
  const required = ["bucket", "userName", "endpoint", "region", "adminAccessKeyId", "adminSecretAccessKey"];
  const failures = required
    .filter((key) => typeof news[key as keyof SeaweedBucketInputs] !== "string")
    .map((key) => ({ property: key, reason: `${key} is required` }));
  if (typeof news.sizeMB !== "number" || !(news.sizeMB > 0)) {
    failures.push({ property: "sizeMB", reason: "sizeMB must be a number of MiB more than 0" });
  }
  return failures;
}

/**
 * The dynamic provider. Its methods are serialized into the stack's state and run in Pulumi's
 * dynamic-provider host, so they call only the functions above (which are serialized with them)
 * and never this module's imports of `@pulumi/pulumi`.
 */
export const seaweedBucketProvider: pulumi.dynamic.ResourceProvider<
  SeaweedBucketInputs,
  SeaweedBucketOutputs
> = {
  async check(_olds, news) {
    return { inputs: news, failures: checkSeaweedBucket(news) };
  },
  async diff(_id, olds, news) {
    return diffSeaweedBucket(olds, news);
  },
  async create(inputs) {
    const outs = await provisionSeaweedBucket(inputs);
    return { id: outs.bucket, outs };
  },
  async read(id, props) {
    return props ? await readSeaweedBucket(id, props) : { id, props };
  },
  async update(_id, olds, news) {
    return { outs: await updateSeaweedBucket(olds, news) };
  },
  async delete(_id, props) {
    await removeSeaweedBucket(props);
  },
};

/** Inputs of a SeaweedBucket resource. */
export type SeaweedBucketArgs = {
  readonly [K in keyof SeaweedBucketInputs]: pulumi.Input<SeaweedBucketInputs[K]>;
};

/**
 * A bucket on a zone's SeaweedFS with its own identity and size quota, as a Pulumi dynamic
 * resource over the AWS SDK's S3 and IAM clients.
 */
export class SeaweedBucket extends pulumi.dynamic.Resource {
  // `declare`: a class field would overwrite, after `super()`, the outputs the engine resolves.
  declare public readonly bucket: pulumi.Output<string>;
  declare public readonly userName: pulumi.Output<string>;
  declare public readonly endpoint: pulumi.Output<string>;
  declare public readonly region: pulumi.Output<string>;
  declare public readonly sizeMB: pulumi.Output<number>;
  declare public readonly accessKeyId: pulumi.Output<string>;
  declare public readonly secretAccessKey: pulumi.Output<string>;
  declare public readonly quotaEnforced: pulumi.Output<boolean>;
  declare public readonly quotaStatus: pulumi.Output<string>;

  constructor(name: string, args: SeaweedBucketArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      seaweedBucketProvider,
      name,
      {
        ...args,
        accessKeyId: undefined,
        secretAccessKey: undefined,
        quotaEnforced: undefined,
        quotaStatus: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: SECRET_OUTPUTS }),
      "pluskube",
      "SeaweedBucket",
    );
  }
}
