export {
  TenantNamespace,
  TENANT_NAMESPACE_TYPE,
  PROJECT_SERVICE_ACCOUNT,
  validateTenantNamespaceArgs,
  createOnlyKubernetesProvider,
} from "./tenant-namespace/index.js";
export type {
  TenantNamespaceArgs,
  TenantQuota,
  KnativeQuota,
  ContainerDefaults,
  TenantVolume,
  ServiceEgress,
  CreateOnlyProviderArgs,
} from "./tenant-namespace/index.js";
export { AppClaim, APP_CLAIM_TYPE, AppVolumeKind, validateAppClaimArgs } from "./app-claim/index.js";
export type { AppClaimArgs, AppVolume, AppVolumeMount, AppProbe } from "./app-claim/index.js";
export {
  ProjectDatabase,
  PROJECT_DATABASE_TYPE,
  validateProjectDatabaseArgs,
} from "./project-database/index.js";
export type { ProjectDatabaseArgs } from "./project-database/index.js";
export { ObjectBucket, OBJECT_BUCKET_TYPE, validateObjectBucketArgs } from "./object-bucket/index.js";
export type { ObjectBucketArgs } from "./object-bucket/index.js";
export {
  LabelKey,
  MANAGED_BY,
  CLAIM_LABEL,
  SIZE_GB_ANNOTATION,
  ClaimKind,
  appLabels,
  appSelector,
  platformLabels,
  projectLabels,
} from "./labels.js";
