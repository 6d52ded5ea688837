import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { serviceNodeFlags } from "../../automation-api/start-flags.js";

describe("the node flags npm start gives the service", () => {
  it("are read from the start script, and node accepts them", () => {
    const flags = serviceNodeFlags();
    // One collector helper thread, and a heap let grow to twice what it kept before being marked
    // again: marking the service's heap often, on several threads, takes the cores requests need.
    expect(flags).toEqual(expect.arrayContaining(["--v8-pool-size=1", "--heap-growing-percent=100"]));
    const run = spawnSync(process.execPath, [...flags, "-e", "0"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
