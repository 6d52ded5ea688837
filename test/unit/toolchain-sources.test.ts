import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moduleSource } from "../../localzone/toolchain/build.js";

// A wrapper module as a fresh machine sees it: its go.mod and go.sum, and an empty module cache.
const GO_MOD = "module example.test/wrapper\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n";
const GO_SUM = [
  "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=",
  "github.com/pkg/errors v0.9.1/go.mod h1:bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0=",
  "",
].join("\n");

describe("module sources for a build", () => {
  let root: string;
  let wrapper: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "pluskube-modsrc-"));
    wrapper = join(root, "wrapper");
    execFileSync("mkdir", ["-p", wrapper]);
    writeFileSync(join(wrapper, "go.mod"), GO_MOD);
    writeFileSync(join(wrapper, "go.sum"), GO_SUM);
    env = {
      ...process.env,
      GOMODCACHE: join(root, "mod"),
      GOCACHE: join(root, "build"),
      GOTOOLCHAIN: "local",
      GOFLAGS: "-mod=mod",
    };
  });

  afterEach(() => {
    // Go writes its module cache read-only; its own command removes it.
    execFileSync("go", ["clean", "-modcache"], { env, stdio: "ignore" });
    rmSync(root, { recursive: true, force: true });
  });

  it("are downloaded into an empty module cache rather than looked up in a warm one", () => {
    const dir = moduleSource(wrapper, "github.com/pkg/errors", env, join(root, "logs", "x.log"));

    expect(dir.startsWith(join(root, "mod"))).toBe(true);
    expect(readFileSync(join(dir, "errors.go"), "utf8")).toContain("package errors");
  });

  it("that cannot be had fail naming the module and a log file that exists", () => {
    const log = join(root, "logs", "x.log");

    expect(() => moduleSource(wrapper, "github.com/pkg/not-required", env, log)).toThrow(
      /github\.com\/pkg\/not-required.*see .*x\.log/,
    );
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, "utf8")).toContain("go mod download -json github.com/pkg/not-required");
  });
});
