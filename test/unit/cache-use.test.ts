import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UNUSED_BUILD_DAYS, markUsed, unusedFor } from "../../localzone/toolchain/cache-use.js";

const DAY = 24 * 60 * 60 * 1000;

describe("the use of cached builds", () => {
  let dir: string;
  let marker: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pluskube-cache-use-"));
    marker = join(dir, ".built.json");
    writeFileSync(marker, "{}");
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const age = (days: number) => {
    const then = new Date(Date.now() - days * DAY);
    utimesSync(marker, then, then);
  };

  it("keeps a build used within the last days, which another checkout may be running", () => {
    age(UNUSED_BUILD_DAYS - 1);
    expect(unusedFor(marker)).toBe(false);
  });

  it("lets a build unused for longer go", () => {
    age(UNUSED_BUILD_DAYS + 1);
    expect(unusedFor(marker)).toBe(true);
  });

  it("counts a build without its marker as unused", () => {
    expect(unusedFor(join(dir, "missing.json"))).toBe(true);
  });

  it("renews a build's use when it is found cached", () => {
    age(UNUSED_BUILD_DAYS + 1);
    markUsed(marker);
    expect(Date.now() - statSync(marker).mtimeMs).toBeLessThan(DAY);
    expect(unusedFor(marker)).toBe(false);
  });
});
