/**
 * Configuration of the pluskube policy pack: one entry per rule, written by the service as the
 * `--policy-pack-config` JSON of each `up`, or by an operator by hand. Every field has a default
 * (see each rule's `configSchema`), so the pack also runs without any config.
 */
import { RESOURCE_DIMENSIONS, type ResourceDimension, type Usage } from "../spec/usage.js";

/**
 * What one project stack may hold in its zone, in the dimensions the pack counts from a stack's
 * objects (the one usage vocabulary of spec/usage.ts). A dimension left out is not limited.
 */
export type QuotaShare = Partial<Usage<ResourceDimension>>;

export interface TenantQuotaConfig {
  /** The stack's total may not exceed this. Default `{}`: nothing limited. */
  readonly share: QuotaShare;
}

export interface NamespaceConfinementConfig {
  /** The project's namespace. Default `""`: every namespaced object must name a namespace, any one. */
  readonly namespace: string;
}

export interface IngressHostsConfig {
  /** The zone's base domain; apps get `<label>.<baseDomain>`. Default `""`: no host is under it. */
  readonly baseDomain: string;
  /**
   * Custom domains verified for the project: a host name allows that host, a wildcard
   * (`*.example.org`) every name under its domain. Default `[]`.
   */
  readonly verifiedDomains: readonly string[];
  /**
   * Whether every host needs TLS. Default `true`; `false` only for a zone without a certificate
   * issuer (such as the local zone), where AppClaim makes plain-HTTP Ingresses.
   */
  readonly requireTls?: boolean;
}

export interface ImageRegistriesConfig {
  /** Registries (`ghcr.io`) or registry paths (`ghcr.io/team`) images may come from. Default `[]`: any. */
  readonly allowed: readonly string[];
  /**
   * Registries named by an address (`10.0.3.9:5000`) the zone allows, exactly as written; every
   * other registry that is an IP literal, localhost or link-local is refused. Default `[]`.
   */
  readonly addressRegistries: readonly string[];
}

/** A zone service reachable past the closed ranges, on its own TCP port. */
export interface ZoneServiceEndpoint {
  readonly cidr: string;
  readonly port: number;
}

export interface NetworkIsolationConfig {
  /** The zone's own address ranges, which egress may not open. Default `[]`. */
  readonly zoneRanges: readonly string[];
  /** The zone's Postgres and S3 where given as addresses, reachable on their ports. Default `[]`. */
  readonly zoneServices: readonly ZoneServiceEndpoint[];
}

export interface DatabasePrivilegesConfig {
  /** Highest connection limit a Role may have. Default: none beyond being set and positive. */
  readonly maxConnectionLimit?: number;
}

/** The whole `--policy-pack-config` document, keyed by rule name. */
export interface PluskubePolicyConfig {
  readonly "tenant-quota": TenantQuotaConfig;
  readonly "namespace-confinement": NamespaceConfinementConfig;
  readonly "ingress-hosts": IngressHostsConfig;
  readonly "image-registries": ImageRegistriesConfig;
  readonly "network-isolation": NetworkIsolationConfig;
  readonly "database-privileges": DatabasePrivilegesConfig;
}

/** What the service knows about one `up` of a project stack. */
export interface ProjectPolicyInput {
  /** The project's namespace (the project's name). */
  readonly namespace: string;
  /**
   * What this stack may hold: the user's share in the zone minus what their other projects in
   * the zone hold. `chunks`, if present, is ignored.
   */
  readonly share: QuotaShare & Partial<Usage>;
  /** The zone's base domain. */
  readonly baseDomain: string;
  /** The project's verified custom domains. */
  readonly verifiedDomains: readonly string[];
  /** Whether Ingresses must have TLS: the zone has a certificate issuer. Default `true`. */
  readonly requireTls?: boolean;
  /** Registries the zone allows; default: any. */
  readonly allowedRegistries?: readonly string[];
  /** Highest database connection limit the zone allows; default: none. */
  readonly maxConnectionLimit?: number;
  /** The zone's own address ranges (the zone file's `addressRanges`); default none. */
  readonly zoneRanges?: readonly string[];
  /** The zone's services reachable by address and port; default none. */
  readonly zoneServices?: readonly ZoneServiceEndpoint[];
  /** Address registries the zone allows (the zone file's `addressRegistries`); default none. */
  readonly addressRegistries?: readonly string[];
}

/**
 * The `--policy-pack-config` document for one project stack. Serialise it with
 * `JSON.stringify` into the file passed to `pulumi up --policy-pack-config`.
 */
export function policyConfigFor(input: ProjectPolicyInput): PluskubePolicyConfig {
  const share: Record<string, number> = {};
  for (const dimension of RESOURCE_DIMENSIONS) {
    const value = input.share[dimension];
    if (value !== undefined) share[dimension] = value;
  }
  return {
    "tenant-quota": { share },
    "namespace-confinement": { namespace: input.namespace },
    "ingress-hosts": {
      baseDomain: input.baseDomain,
      verifiedDomains: [...input.verifiedDomains],
      requireTls: input.requireTls ?? true,
    },
    "image-registries": {
      allowed: [...(input.allowedRegistries ?? [])],
      addressRegistries: [...(input.addressRegistries ?? [])],
    },
    "network-isolation": {
      zoneRanges: [...(input.zoneRanges ?? [])],
      zoneServices: (input.zoneServices ?? []).map(({ cidr, port }) => ({ cidr, port })),
    },
    "database-privileges":
      input.maxConnectionLimit === undefined ? {} : { maxConnectionLimit: input.maxConnectionLimit },
  };
}

/**
 * How the components mark the Kubernetes Secret of a claim that lives outside the cluster, so
 * that `tenant-quota` can count it: the label names the claim kind (its singular), the
 * annotation its size in GB.
 */
export { CLAIM_LABEL, SIZE_GB_ANNOTATION as CLAIM_SIZE_ANNOTATION } from "../components/labels.js";
