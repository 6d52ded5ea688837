import type { ProjectSpec } from "../../spec/project.js";
import { mapUsage, SHARE_KINDS } from "../../spec/usage.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { ProjectPolicyInput } from "../../policy/config.js";
import { zoneServiceEgress } from "../../stacks/project/compose.js";
import { ServiceRefusal, type PolicyContext } from "../runner/runner.js";
import type { ProjectRow } from "../store/schema.js";
import type { Queries } from "../store/store.js";
import { userQuota } from "./fair-share.js";
import { policyShare, specAmounts, stackAllowance, zoneAllocatable, ZERO, type Amounts } from "./quota.js";

export interface PolicyContextInput {
  readonly spec: ProjectSpec;
  readonly zone: ZoneSpec;
  /** The owner's share of the zone. */
  readonly share: Amounts;
  /** What the owner's other projects in the zone hold. */
  readonly others: Amounts;
  /**
   * What admission already let this project hold: the stack is never allowed less, so that a
   * member left above a share that shrank can still shrink. Nothing when no admission ran.
   */
  readonly admitted: Amounts;
  /** Registries the zone allows images from; empty allows any. */
  readonly allowedRegistries: readonly string[];
}

/**
 * What the pack is told of the zone's own network, from its zone file: the ranges egress must
 * leave closed, the zone services reachable inside them, the address registries it allows. The
 * service's runs and an operator's `policy-config` both take it from here.
 */
export function zonePolicyInput(
  zone: ZoneSpec,
): Required<Pick<ProjectPolicyInput, "zoneRanges" | "zoneServices" | "addressRegistries">> {
  return {
    zoneRanges: zone.addressRanges,
    // The node-local DNS is a zone service too: tenants' DNS policy opens it on port 53.
    zoneServices: [
      ...zoneServiceEgress(zone),
      ...zone.dnsAddresses.map((address) => ({
        cidr: `${address}/${address.includes(":") ? 128 : 32}`,
        port: 53,
      })),
    ],
    addressRegistries: zone.addressRegistries,
  };
}

/**
 * What the policy pack is told about one `up` of a project stack: the service's jobs and an
 * operator's `pulumi up --policy-pack-config` both derive it here, so the pack judges a stack
 * the same way on either path.
 */
export function projectPolicyContext(input: PolicyContextInput): PolicyContext {
  const { spec, zone } = input;
  return {
    share: policyShare(stackAllowance(input.share, input.others, input.admitted), zone),
    namespace: spec.project,
    baseDomain: zone.baseDomain,
    verifiedDomains: spec.verifiedDomains,
    requireTls: zone.certIssuer !== "",
    allowedRegistries: input.allowedRegistries,
    maxConnectionLimit: zone.limits.connectionsPerDatabase,
  };
}

/**
 * The context of one `up` the service runs: what the owner's share leaves after their other
 * projects in the zone.
 */
export async function stackPolicyContext(
  queries: Queries,
  project: ProjectRow,
  zone: ZoneSpec,
  allowedRegistries: readonly string[],
): Promise<PolicyContext> {
  const user = await queries.findUserById(project.userId);
  if (!user) throw new ServiceRefusal("the project's owner no longer exists");
  const quota = await userQuota(queries, user, zone, project);
  const others = mapUsage(
    SHARE_KINDS,
    (kind) => quota.used[kind] - (quota.projects.get(project.id)?.[kind] ?? 0),
  );
  return projectPolicyContext({
    spec: project.spec,
    zone,
    share: quota.share,
    others,
    // The service admitted this spec before it queued the run.
    admitted: specAmounts(project.spec, zone),
    allowedRegistries,
  });
}

/**
 * The context of a stack an operator runs without the service: the project is the only claim
 * on its zone, so its share is everything the zone hands out; no admission ran, so the pack is
 * what holds the stack to it.
 */
export function operatorPolicyContext(
  spec: ProjectSpec,
  zone: ZoneSpec,
  allowedRegistries: readonly string[],
): PolicyContext {
  return projectPolicyContext({
    spec,
    zone,
    share: zoneAllocatable(zone),
    others: ZERO,
    admitted: ZERO,
    allowedRegistries,
  });
}
