import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { PolicyContext } from "../runner/runner.js";
import { policyShare, specAmounts, stackAllowance, zoneAllocatable, ZERO, type Amounts } from "./quota.js";

export interface PolicyContextInput {
  readonly spec: ProjectSpec;
  readonly zone: ZoneSpec;
  /** The owner's share of the zone. */
  readonly share: Amounts;
  /** What the owner's other projects in the zone hold. */
  readonly others: Amounts;
  /** Registries the zone allows images from; empty allows any. */
  readonly allowedRegistries: readonly string[];
}

/**
 * What the policy pack is told about one `up` of a project stack: the service's jobs and an
 * operator's `pulumi up --policy-pack-config` both derive it here, so the pack judges a stack
 * the same way on either path.
 */
export function projectPolicyContext(input: PolicyContextInput): PolicyContext {
  const { spec, zone } = input;
  return {
    share: policyShare(stackAllowance(input.share, input.others, specAmounts(spec, zone)), zone),
    namespace: spec.project,
    baseDomain: zone.baseDomain,
    verifiedDomains: spec.verifiedDomains,
    requireTls: zone.certIssuer !== "",
    allowedRegistries: input.allowedRegistries,
  };
}

/**
 * The context of a stack an operator runs without the service: the project is the only claim
 * on its zone, so its share is everything the zone hands out.
 */
export function operatorPolicyContext(
  spec: ProjectSpec,
  zone: ZoneSpec,
  allowedRegistries: readonly string[],
): PolicyContext {
  return projectPolicyContext({ spec, zone, share: zoneAllocatable(zone), others: ZERO, allowedRegistries });
}
