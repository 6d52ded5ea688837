export {
  TenantNamespace,
  TENANT_NAMESPACE_TYPE,
  PROJECT_SERVICE_ACCOUNT,
  DEFAULT_CONTAINER_RESOURCES,
  podSecurityLabels,
  quotaHard,
} from "./tenant-namespace.js";
export type {
  TenantNamespaceArgs,
  TenantQuota,
  KnativeQuota,
  ContainerDefaults,
  TenantVolume,
  ServiceEgress,
} from "./args.js";
export { validateTenantNamespaceArgs } from "./validate.js";
export { createOnlyKubernetesProvider, isCreateOnlyProvider } from "./create-only-provider.js";
export type { CreateOnlyProviderArgs } from "./create-only-provider.js";
export { PRIVATE_IPV4_RANGES, PRIVATE_IPV6_RANGES } from "./isolation.js";
