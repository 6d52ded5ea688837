import { imageRegistryProblem } from "../../policy/rules/image-registries.js";
import { exceeds } from "../../policy/rules/tenant-quota.js";
import type { ProjectSpec } from "../../spec/project.js";
import { coveringClaim } from "../../spec/domains.js";
import { projectUsage } from "../../spec/project.js";
import { RESOURCE_DIMENSIONS } from "../../spec/usage.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { PolicyContext } from "../runner/runner.js";

/**
 * Why the policy pack might refuse a stack as a whole, judged from its spec and the context the
 * pack will be given, or `undefined` when the stack's verdict is known to be a pass:
 * - tenant-quota: the spec's usage, counted as the pack counts the objects the program makes
 *   for it (the policy agreement tests hold the two equal), against the share in the context;
 * - image-registries: asked with the pack's own rule;
 * - ingress-hosts: custom domains are the spec's verified domains, which the context hands on.
 * The other rules hold by how the components build their objects (the agreement tests again).
 * A runner that gets `undefined` may skip the preview that judges the whole stack before
 * anything of it is created: the pack still judges each object before the engine creates it.
 */
export function prejudge(spec: ProjectSpec, zone: ZoneSpec, policy: PolicyContext): string | undefined {
  const usage = projectUsage(spec, zone);
  const over = RESOURCE_DIMENSIONS.filter((dimension) => {
    const share = policy.share[dimension];
    return share !== undefined && exceeds(usage[dimension], share);
  });
  if (over.length > 0) return `tenant-quota: the spec asks more than the share in ${over.join(", ")}`;
  const problems = spec.apps.flatMap((app) => {
    const problem = imageRegistryProblem(app.image, policy.allowedRegistries, zone.addressRegistries);
    return problem ? [`apps.${app.name}.image${problem}`] : [];
  });
  if (problems.length > 0) return `image-registries: ${problems.join("; ")}`;
  const unverified = spec.apps.flatMap((app) =>
    app.customDomains.filter((host) => coveringClaim(policy.verifiedDomains, host) === undefined),
  );
  if (unverified.length > 0) return `ingress-hosts: not verified: ${unverified.join(", ")}`;
  return undefined;
}
