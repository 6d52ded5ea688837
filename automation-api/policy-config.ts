/**
 * `npm run --silent policy-config -- SPEC.yaml [--zone NAME | --zone-file PATH]` prints the
 * policy pack's config for an operator's `pulumi up` of that ProjectSpec, derived from the spec
 * and its zone file exactly as the service derives it for its own runs (registries from
 * PLUSKUBE_ALLOWED_REGISTRIES, as for the service). Relative paths are taken from the folder the
 * command was run in.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { policyConfigFor } from "../policy/config.js";
import { parseProjectSpec } from "../spec/project.js";
import { loadZoneFile, resolveZonePath } from "../spec/zone.js";
import { loadZone } from "../zones/index.js";
import { readConfig } from "./config.js";
import { operatorPolicyContext, zonePolicyInput } from "./domain/policy-context.js";

const USAGE =
  "usage: npm run --silent policy-config -- SPEC.yaml [--zone NAME | --zone-file PATH] > config.json";

function main(): void {
  const { values, positionals } = parseArgs({
    options: { zone: { type: "string" }, "zone-file": { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 1) throw new Error(`name exactly one ProjectSpec file\n${USAGE}`);
  if (values.zone !== undefined && values["zone-file"] !== undefined) {
    throw new Error(`give --zone or --zone-file, not both\n${USAGE}`);
  }
  // npm runs scripts from the package's root; INIT_CWD is where the operator typed the command.
  const cwd = process.env["INIT_CWD"] ?? process.cwd();
  const at = (path: string): string => resolve(cwd, resolveZonePath(path));
  const spec = parseProjectSpec(parseYaml(readFileSync(at(positionals[0] ?? ""), "utf8")));
  const zoneFile = values["zone-file"];
  const zone = zoneFile !== undefined ? loadZoneFile(at(zoneFile)) : loadZone(values.zone ?? spec.zone);
  const context = operatorPolicyContext(spec, zone, readConfig(process.env).allowedRegistries);
  console.log(JSON.stringify(policyConfigFor({ ...context, ...zonePolicyInput(zone) }), null, 2));
}

try {
  main();
} catch (error) {
  console.error(`policy-config: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
