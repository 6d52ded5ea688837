export { ObjectBucket, OBJECT_BUCKET_TYPE, MIB_PER_GB, BUCKET_SECRET_KEYS } from "./object-bucket.js";
export type { ObjectBucketArgs } from "./args.js";
export { bucketName, bucketNameProblem, bucketSecretName, BUCKET_NAME_MAX } from "./names.js";
export { validateObjectBucketArgs, isHttpUrl, isHostPort, MAX_BUCKET_GB } from "./validate.js";
export {
  SeaweedBucket,
  seaweedBucketProvider,
  diffSeaweedBucket,
  checkSeaweedBucket,
  REPLACING_PROPERTIES,
  UPDATING_PROPERTIES,
  SECRET_OUTPUTS,
} from "./provider.js";
export type { SeaweedBucketArgs, SeaweedBucketInputs, SeaweedBucketOutputs } from "./provider.js";
export type { SeaweedAdmin, BucketIdentity, QuotaShell } from "./seaweed.js";
