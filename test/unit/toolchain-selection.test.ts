import { describe, expect, it } from "vitest";
import { selectComponents } from "../../localzone/toolchain.js";
import { components } from "../../localzone/toolchain/components.js";

const names = (only: string[]) => selectComponents(components(), only).map((c) => c.name);

describe("the toolchain's components to build", () => {
  it("are all of them when none is named", () => {
    expect(names([])).toEqual(components().map((c) => c.name));
  });

  it("bring what a named component builds against, before it, on a machine that has none of it", () => {
    expect(names(["runc", "containerd"])).toEqual(["libseccomp-dev", "runc", "containerd"]);
  });

  it("bring the Pulumi CLI with a provider it installs", () => {
    const selected = names(["random-provider"]);
    expect(selected).toContain("pulumi");
    expect(selected.indexOf("pulumi")).toBeLessThan(selected.indexOf("random-provider"));
  });
});
