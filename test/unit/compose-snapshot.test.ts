import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import { parseProjectSpec } from "../../spec/project.js";
import { lisbonZone, PROJECT_SPECS, type ProjectSpecName } from "./fixtures/project-specs.js";

/**
 * What `composeProject` creates for each named spec: every resource's type, name, parent and
 * inputs, and the stack's outputs. A change to the composition shows here as the diff of what a
 * stack would create; update the snapshots with `vitest run -u` once the diff is the one meant.
 */

/** A dynamic provider's inputs carry its serialized code, which changes with every edit of it. */
function stable(inputs: Record<string, unknown>): Record<string, unknown> {
  return "__provider" in inputs ? { ...inputs, __provider: "<serialized provider>" } : inputs;
}

function created(recorder: ResourceRecorder) {
  return recorder.resources
    .map((resource) => ({
      type: resource.type,
      name: resource.name,
      parent: recorder.parentTypeOf(resource.name) ?? null,
      inputs: stable(resource.inputs),
    }))
    .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
}

async function resolved(outputs: Record<string, unknown>): Promise<unknown> {
  if (pulumi.Output.isInstance(outputs)) return promiseOf(outputs);
  const entries = await Promise.all(
    Object.entries(outputs).map(async ([key, value]) => [
      key,
      pulumi.Output.isInstance(value)
        ? await promiseOf(value)
        : await resolved(value as Record<string, unknown>),
    ]),
  );
  return Object.fromEntries(entries);
}

describe("composeProject snapshots", () => {
  it.each(Object.keys(PROJECT_SPECS) as ProjectSpecName[])(
    "creates what it did for the '%s' spec",
    async (name) => {
      const spec = PROJECT_SPECS[name];
      const recorder = await installMocks({ stack: `${spec.project}.${spec.zone}` });
      const files = mkdtempSync(join(tmpdir(), "pluskube-compose-snapshot-"));
      const zone = lisbonZone(files);
      const { composeProject } = await import("../../stacks/project/compose.js");

      const outputs = composeProject(parseProjectSpec(spec), zone);
      await settle(recorder);

      // The credential files' folder differs per run; their contents are in the inputs.
      const snapshot = { resources: created(recorder), outputs: await resolved({ ...outputs }) };
      const text = JSON.stringify(snapshot, null, 2).replaceAll(files, "<zone files>");
      await expect(text).toMatchFileSnapshot(`__snapshots__/compose-${name}.json`);
    },
  );
});
