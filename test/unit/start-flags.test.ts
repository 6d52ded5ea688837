import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { serviceNodeFlags } from "../../automation-api/start-flags.js";

describe("the node flags npm start gives the service", () => {
  it("are read from the start script, and node accepts them", () => {
    const flags = serviceNodeFlags();
    // One collector helper thread: more take the cores the requests and PostgreSQL need.
    expect(flags).toContain("--v8-pool-size=1");
    const run = spawnSync(process.execPath, [...flags, "-e", "0"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
