import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { parseProjectSpec, type ProjectSpec } from "../../spec/project.js";
import { resolveZonePath, loadZoneFile, type ZoneSpec } from "../../spec/zone.js";
import { loadZone } from "../../zones/index.js";
import { projectSecretsFromConfig } from "./secret-config.js";
import type { ProjectSecrets } from "./secrets.js";

/** What the project program needs from its stack configuration. */
export interface ProjectStackInputs {
  readonly spec: ProjectSpec;
  readonly zone: ZoneSpec;
  /** The apps' secret variables and the registries' logins, from the stack's secret config. */
  readonly secrets: ProjectSecrets;
}

/**
 * Reads a project stack's configuration:
 * - the ProjectSpec, either inline as the object `spec` or as `specFile`, a YAML file path
 *   (relative to the stack's directory);
 * - the zone, either `zoneFile`, a zone YAML path, or the zone named `zone` (default: the spec's
 *   `zone`) from the repository's `zones/` folder;
 * - the secret values, `secretEnv` and `registries` (`projectSecretsFromConfig`), set with
 *   `pulumi config set --secret`.
 */
export function projectStackInputs(config: pulumi.Config, cwd = process.cwd()): ProjectStackInputs {
  const inline = config.getObject<unknown>("spec");
  const specFile = config.get("specFile");
  if (inline !== undefined && specFile !== undefined) {
    throw new Error("set either the config object 'spec' or the config path 'specFile', not both");
  }
  if (inline === undefined && specFile === undefined) {
    throw new Error(
      "no project spec: set 'spec' (pulumi config set --path ...) or 'specFile' (a ProjectSpec YAML file)",
    );
  }
  const raw = inline ?? parseYaml(readFileSync(resolve(cwd, resolveZonePath(specFile as string)), "utf8"));
  const spec = parseProjectSpec(raw);
  const zoneFile = config.get("zoneFile");
  const zone =
    zoneFile !== undefined
      ? loadZoneFile(resolve(cwd, resolveZonePath(zoneFile)))
      : loadZone(config.get("zone") ?? spec.zone);
  return { spec, zone, secrets: projectSecretsFromConfig(config, spec, zone) };
}
