/**
 * Every rule of the pack, in the order `pulumi` lists them. Kept apart from `index.ts`, which
 * starts the policy server on import, so that tests can load the rules.
 */
import type { Policies } from "@pulumi/policy";
import { databasePrivileges } from "./rules/database-privileges.js";
import { imageRegistries } from "./rules/image-registries.js";
import { ingressHosts } from "./rules/ingress-hosts.js";
import { namespaceConfinement } from "./rules/namespace-confinement.js";
import { networkIsolation } from "./rules/network-isolation.js";
import { podSecurityRestricted } from "./rules/pod-security-restricted.js";
import { resourcesRequired } from "./rules/resources-required.js";
import { tenantQuota } from "./rules/tenant-quota.js";

export const policies: Policies = [
  tenantQuota,
  namespaceConfinement,
  podSecurityRestricted,
  networkIsolation,
  ingressHosts,
  resourcesRequired,
  imageRegistries,
  databasePrivileges,
];
