import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { projectStackInputs } from "../../stacks/project/config.js";

const dir = mkdtempSync(join(tmpdir(), "pluskube-stack-config-"));
writeFileSync(
  join(dir, "shop.yaml"),
  "project: shop\nzone: local\napps:\n  - name: web\n    image: nginx:1.27\n",
);

function configWith(values: Record<string, string>): pulumi.Config {
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(values).map(([key, value]) => [`pluskube-project:${key}`, value])),
  );
  return new pulumi.Config("pluskube-project");
}

describe("projectStackInputs", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  it("reads a ProjectSpec YAML file relative to the stack's folder and its zone from zones/", () => {
    const { spec, zone } = projectStackInputs(configWith({ specFile: "shop.yaml" }), dir);
    expect(spec.project).toBe("shop");
    expect(spec.apps[0]?.replicas).toBe(1);
    expect(zone.name).toBe("local");
  });

  it("takes an inline spec object and validates it", () => {
    const inline = JSON.stringify({ project: "Shop", zone: "local" });
    expect(() => projectStackInputs(configWith({ spec: inline }), dir)).toThrow("project:");
  });

  it("reads the zone from a zone file when one is given", () => {
    const { zone } = projectStackInputs(
      configWith({ specFile: "shop.yaml", zoneFile: join(import.meta.dirname, "../../zones/lisbon.yaml") }),
      dir,
    );
    expect(zone.name).toBe("lisbon");
  });

  it("refuses a stack with no spec, or with both kinds", () => {
    expect(() => projectStackInputs(configWith({}), dir)).toThrow("no project spec");
    expect(() =>
      projectStackInputs(configWith({ specFile: "shop.yaml", spec: JSON.stringify({ project: "a" }) }), dir),
    ).toThrow("not both");
  });
});
