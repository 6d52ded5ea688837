import type { PulumiFn } from "@pulumi/pulumi/automation/index.js";
import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { composeProject } from "../../stacks/project/compose.js";
import type { ProjectSecrets } from "../../stacks/project/secrets.js";

/** The inline program of a project stack: the same `composeProject` operators run from a spec file. */
export function projectProgram(spec: ProjectSpec, zone: ZoneSpec, secrets?: ProjectSecrets): PulumiFn {
  return async () => composeProject(spec, zone, secrets);
}
