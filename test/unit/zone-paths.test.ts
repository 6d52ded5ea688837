import { homedir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { resolveZonePath } from "../../spec/zone.js";

describe("a zone's file paths", () => {
  const saved = process.env["PLUSKUBE_DATA_DIR"];
  afterEach(() => {
    if (saved === undefined) delete process.env["PLUSKUBE_DATA_DIR"];
    else process.env["PLUSKUBE_DATA_DIR"] = saved;
  });

  it("expand a leading ~ to the home folder", () => {
    delete process.env["PLUSKUBE_DATA_DIR"];

    expect(resolveZonePath("~/zones/kubeconfig")).toBe(`${homedir()}/zones/kubeconfig`);
    expect(resolveZonePath("~/.local/share/pluskube/localzone/kubeconfig")).toBe(
      `${homedir()}/.local/share/pluskube/localzone/kubeconfig`,
    );
  });

  it("follow PLUSKUBE_DATA_DIR when they name the default data folder", () => {
    process.env["PLUSKUBE_DATA_DIR"] = "/srv/pluskube";

    expect(resolveZonePath("~/.local/share/pluskube/localzone/kubeconfig")).toBe(
      "/srv/pluskube/localzone/kubeconfig",
    );
    expect(resolveZonePath("~/.local/share/pluskube")).toBe("/srv/pluskube");
  });

  it("leave other paths alone, even one that merely starts like the data folder", () => {
    process.env["PLUSKUBE_DATA_DIR"] = "/srv/pluskube";

    expect(resolveZonePath("/etc/pluskube/s3.key")).toBe("/etc/pluskube/s3.key");
    expect(resolveZonePath("~/.local/share/pluskube-other/x")).toBe(
      `${homedir()}/.local/share/pluskube-other/x`,
    );
    expect(resolveZonePath("relative/file")).toBe("relative/file");
  });
});
