import type * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "../../spec/address-ranges.js";
import { isDnsLabel } from "../../spec/names.js";
import { isByteQuantity, isCpuQuantity } from "../../spec/quantity.js";
import { ArgumentProblems, isCidr, isIntegerIn, isPlain, isQuantityOrZero } from "../validation.js";
import type { TenantNamespaceArgs, TenantQuota } from "./args.js";
import { isCreateOnlyProvider } from "./create-only-provider.js";

const DNS_LABEL =
  "a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)";

const QUOTA_QUANTITIES = ["cpu", "memory", "ephemeralStorage", "storage"] as const;
const QUOTA_COUNTS = [
  "pods",
  "services",
  "persistentVolumeClaims",
  "secrets",
  "configMaps",
  "ingresses",
  "deployments",
] as const;

function checkQuota(quota: TenantQuota | undefined, problems: ArgumentProblems): void {
  if (quota === undefined) {
    problems.add("quota is required: the namespace's hard limits");
    return;
  }
  for (const key of QUOTA_QUANTITIES) {
    const value = quota[key];
    if (typeof value !== "string" || !isQuantityOrZero(value)) {
      problems.expect(`quota.${key}`, "a quantity of 0 or more such as 2, 1500m or 4Gi", value);
    }
  }
  for (const key of QUOTA_COUNTS) {
    if (!isIntegerIn(quota[key], 0, 100_000)) {
      problems.expect(`quota.${key}`, "a whole number from 0 to 100000", quota[key]);
    }
  }
  if (quota.knative !== undefined) {
    for (const key of ["services", "domainMappings"] as const) {
      if (!isIntegerIn(quota.knative[key], 0, 100_000)) {
        problems.expect(`quota.knative.${key}`, "a whole number from 0 to 100000", quota.knative[key]);
      }
    }
  }
}

/**
 * Checks a TenantNamespace's arguments before any child exists; throws one
 * `pulumi.ResourceError` naming every argument that is wrong and what is allowed.
 */
export function validateTenantNamespaceArgs(args: TenantNamespaceArgs, resource?: pulumi.Resource): void {
  const problems = new ArgumentProblems();
  if (typeof args.project !== "string" || !isDnsLabel(args.project)) {
    problems.expect("project", `${DNS_LABEL}, at most 63 characters`, args.project);
  }
  if (!isCreateOnlyProvider(args.namespaceProvider)) {
    problems.add(
      "namespaceProvider must be a provider made by createOnlyKubernetesProvider() for the zone's cluster, so that an existing namespace is never taken over",
    );
  }
  checkQuota(args.quota, problems);

  const defaults = args.containerDefaults;
  if (defaults !== undefined) {
    if (!isCpuQuantity(defaults.cpu)) {
      problems.expect("containerDefaults.cpu", "a positive quantity such as 250m or 1", defaults.cpu);
    }
    if (!isByteQuantity(defaults.memory)) {
      problems.expect("containerDefaults.memory", "a positive size such as 512Mi", defaults.memory);
    }
    if (!isByteQuantity(defaults.disk)) {
      problems.expect("containerDefaults.disk", "a positive size such as 1Gi", defaults.disk);
    }
  }

  (args.ingressNamespaces ?? []).forEach((namespace, index) => {
    if (!isDnsLabel(namespace)) problems.expect(`ingressNamespaces[${index}]`, DNS_LABEL, namespace);
  });

  (args.zoneRanges ?? []).forEach((cidr, index) => {
    const range = typeof cidr === "string" ? parseCidr(cidr) : undefined;
    if (!range || range.prefix === 0) {
      problems.expect(
        `zoneRanges[${index}]`,
        "an address range such as 203.0.113.0/28, not the whole address space",
        cidr,
      );
    }
  });

  (args.dnsAddresses ?? []).forEach((address, index) => {
    if (!isCidr(`${address}/${address.includes(":") ? 128 : 32}`)) {
      problems.expect(`dnsAddresses[${index}]`, "an IP address such as 169.254.20.10", address);
    }
  });

  (args.serviceEgress ?? []).forEach((egress, index) => {
    if (!isCidr(egress.cidr)) {
      problems.expect(`serviceEgress[${index}].cidr`, "an address range such as 10.0.3.7/32", egress.cidr);
    }
    if (!isIntegerIn(egress.port, 1, 65535)) {
      problems.expect(`serviceEgress[${index}].port`, "a TCP port from 1 to 65535", egress.port);
    }
  });

  const seen = new Set<string>();
  (args.volumes ?? []).forEach((volume, index) => {
    if (!isDnsLabel(volume.name)) problems.expect(`volumes[${index}].name`, DNS_LABEL, volume.name);
    else if (seen.has(volume.name)) {
      problems.add(`volumes[${index}].name must be unique, got ${volume.name} twice`);
    }
    seen.add(volume.name);
    if (typeof volume.size !== "string" || !isByteQuantity(volume.size)) {
      problems.expect(`volumes[${index}].size`, "a positive size such as 10Gi", volume.size);
    }
  });

  if (isPlain(args.storageClass) && args.storageClass !== undefined && !isDnsLabel(args.storageClass)) {
    problems.expect("storageClass", DNS_LABEL, args.storageClass);
  }

  problems.throwIfAny("TenantNamespace", resource);
}
