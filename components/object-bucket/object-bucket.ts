import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLAIM_LABEL, ClaimKind, SIZE_GB_ANNOTATION, projectLabels } from "../labels.js";
import type { ObjectBucketArgs } from "./args.js";
import { bucketName, bucketSecretName } from "./names.js";
import { SeaweedBucket } from "./provider.js";
import { validateObjectBucketArgs } from "./validate.js";

export const OBJECT_BUCKET_TYPE = "pluskube:index:ObjectBucket";

/** Keys of a bucket's Secret, each the variable S3 clients (the AWS SDKs and CLI) read it from. */
export const BUCKET_SECRET_KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_ENDPOINT_URL_S3",
  "AWS_REGION",
  "S3_BUCKET",
] as const;

/** MiB in a GB as the platform counts it (binary, like the zone's capacity). */
export const MIB_PER_GB = 1024;

/**
 * A project's bucket on the zone's SeaweedFS: the bucket, an identity whose key reaches only
 * that bucket, a size quota, and a Secret in the project's namespace with what an S3 client
 * needs (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL_S3`, `AWS_REGION`,
 * `S3_BUCKET`).
 */
export class ObjectBucket extends pulumi.ComponentResource {
  /** Name of the bucket on the zone's SeaweedFS. */
  public readonly bucketName: pulumi.Output<string>;
  /** Name of the Kubernetes Secret with the endpoint and keys. */
  public readonly secretName: pulumi.Output<string>;
  /** Size quota in GB. */
  public readonly sizeGB: number;
  /** Access key id of the bucket's identity (secret). */
  public readonly accessKeyId: pulumi.Output<string>;
  /** Whether SeaweedFS enforces the quota; false when no shell master was given. */
  public readonly quotaEnforced: pulumi.Output<boolean>;
  /** The quota's state in words. */
  public readonly quotaStatus: pulumi.Output<string>;

  constructor(name: string, args: ObjectBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OBJECT_BUCKET_TYPE, name, {}, opts);
    validateObjectBucketArgs(args, this);

    const region = args.region ?? "us-east-1";
    const clusterEndpoint = args.clusterEndpoint ?? args.endpoint;
    const bucket = bucketName(args.project, args.name);

    const store = new SeaweedBucket(
      `${name}-bucket`,
      {
        bucket,
        userName: bucket,
        sizeMB: Math.round(args.sizeGB * MIB_PER_GB),
        endpoint: args.endpoint,
        region,
        adminAccessKeyId: pulumi.secret(args.adminAccessKeyId),
        adminSecretAccessKey: pulumi.secret(args.adminSecretAccessKey),
        ...(args.shellMaster === undefined ? {} : { shellMaster: args.shellMaster }),
        weedPath: args.weedPath ?? "weed",
      },
      { parent: this },
    );

    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: bucketSecretName(args.name),
          namespace: args.namespace,
          labels: { ...projectLabels(args.project), [CLAIM_LABEL]: ClaimKind.bucket },
          annotations: { [SIZE_GB_ANNOTATION]: String(args.sizeGB) },
        },
        type: "Opaque",
        stringData: {
          AWS_ACCESS_KEY_ID: pulumi.secret(store.accessKeyId),
          AWS_SECRET_ACCESS_KEY: pulumi.secret(store.secretAccessKey),
          AWS_ENDPOINT_URL_S3: pulumi.secret(clusterEndpoint),
          AWS_REGION: pulumi.secret(region),
          S3_BUCKET: pulumi.secret(store.bucket),
        },
      },
      { parent: this },
    );

    this.bucketName = store.bucket;
    this.secretName = secret.metadata.name;
    this.sizeGB = args.sizeGB;
    this.accessKeyId = pulumi.secret(store.accessKeyId);
    this.quotaEnforced = store.quotaEnforced;
    this.quotaStatus = store.quotaStatus;
    this.registerOutputs({
      bucketName: this.bucketName,
      secretName: this.secretName,
      sizeGB: this.sizeGB,
      accessKeyId: this.accessKeyId,
      quotaEnforced: this.quotaEnforced,
      quotaStatus: this.quotaStatus,
    });
  }
}
