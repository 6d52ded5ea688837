export {
  TenantNamespace,
  TENANT_NAMESPACE_TYPE,
  PROJECT_SERVICE_ACCOUNT,
  validateTenantNamespaceArgs,
} from "./tenant-namespace/index.js";
export type {
  TenantNamespaceArgs,
  TenantQuota,
  ContainerDefaults,
  TenantVolume,
  ServiceEgress,
} from "./tenant-namespace/index.js";
export { AppClaim, APP_CLAIM_TYPE, AppVolumeKind, validateAppClaimArgs } from "./app-claim/index.js";
export type { AppClaimArgs, AppVolume, AppVolumeMount, AppProbe } from "./app-claim/index.js";
export { ProjectDatabase } from "./project-database/index.js";
export { ObjectBucket } from "./object-bucket/index.js";
export { LabelKey, MANAGED_BY, appLabels, appSelector, platformLabels, projectLabels } from "./labels.js";
