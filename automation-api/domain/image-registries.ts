import type { ProjectSpec } from "../../spec/project.js";
import { addressRegistryProblem } from "../../spec/registries.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { UnprocessableError } from "./errors.js";

/**
 * Refuses a spec whose apps pull from a registry named by an address the zone does not allow
 * (an IP literal, localhost, link-local): the node pulls images outside any NetworkPolicy. The
 * policy pack's image-registries rule refuses the same at `up`.
 */
export function requireAllowedRegistries(spec: ProjectSpec, zone: ZoneSpec): void {
  const issues = spec.apps.flatMap((app) => {
    const problem = addressRegistryProblem(app.image, zone.addressRegistries);
    return problem ? [{ path: `apps.${app.name}.image`, message: problem }] : [];
  });
  if (issues.length > 0) {
    throw new UnprocessableError("registry-not-allowed", issues, {
      zone: zone.name,
      addressRegistries: [...zone.addressRegistries],
    });
  }
}
