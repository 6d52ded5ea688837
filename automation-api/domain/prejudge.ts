import { imageRegistryProblem } from "../../policy/rules/image-registries.js";
import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { PolicyContext } from "../runner/runner.js";

/**
 * The policy pack's verdicts the service knows before a run, so that a stack it refuses is
 * refused before anything of it exists, without the engine's separate preview:
 * - tenant-quota: admission fitted the spec to the owner's share, and the share the pack is
 *   given is never below what admission let the project hold (`stackAllowance`);
 * - ingress-hosts: the spec's custom domains are its verified domains (a lapsed one is taken
 *   out of the spec with the apps' hosts under it), and the pack is given those;
 * - image-registries: asked here, with the pack's own rule, against the registries the pack is
 *   given for this run (they are the service's configuration, which may have changed since the
 *   request).
 * The other rules hold by how the components build their objects (the policy agreement tests).
 * The pack still judges every resource before the engine creates it, and the stack after.
 */
export function prejudge(spec: ProjectSpec, zone: ZoneSpec, policy: PolicyContext): string | undefined {
  const problems = spec.apps.flatMap((app) => {
    const problem = imageRegistryProblem(app.image, policy.allowedRegistries, zone.addressRegistries);
    return problem ? [`apps.${app.name}.image${problem}`] : [];
  });
  return problems.length > 0 ? `image-registries: ${problems.join("; ")}` : undefined;
}
