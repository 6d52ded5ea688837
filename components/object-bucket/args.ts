import type * as pulumi from "@pulumi/pulumi";

/**
 * A bucket of a project on the zone's SeaweedFS. The kubernetes provider comes from the caller
 * through the resource options; SeaweedFS is reached with the administrator's key given here.
 */
export interface ObjectBucketArgs {
  /** Project that owns the bucket; a DNS label. Required; part of the bucket name. */
  readonly project: string;
  /** Namespace of the project, where the Secret with the bucket's keys is written. Required. */
  readonly namespace: pulumi.Input<string>;
  /** The bucket's name within the project; a DNS label of at most 40 characters. Required. */
  readonly name: string;
  /** Size quota in GB. Required; more than 0, at most 10240. */
  readonly sizeGB: number;
  /** S3 endpoint of the zone's SeaweedFS as this program reaches it, such as `http://127.0.0.1:8333`. Required. */
  readonly endpoint: pulumi.Input<string>;
  /** S3 endpoint as pods reach it. Default: `endpoint`. */
  readonly clusterEndpoint?: pulumi.Input<string>;
  /** Region to sign requests for. Default `us-east-1`. */
  readonly region?: pulumi.Input<string>;
  /** Access key id of the SeaweedFS administrator, who creates buckets and identities. Required; kept secret. */
  readonly adminAccessKeyId: pulumi.Input<string>;
  /** Secret access key of the SeaweedFS administrator. Required; kept secret. */
  readonly adminSecretAccessKey: pulumi.Input<string>;
  /** `weed shell` master address (`host:port`) that sets the quota. Default: none, and the quota is not enforced. */
  readonly shellMaster?: pulumi.Input<string>;
  /** Path of the `weed` binary where the engine runs the provider. Default `weed`, found on that PATH. */
  readonly weedPath?: pulumi.Input<string>;
}
