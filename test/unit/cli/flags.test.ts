import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { collectEnv, collectMount, parseCpu, parseGigabytes, parseSize } from "../../../cli/input/flags.js";

describe("parseSize", () => {
  it.each([
    ["536870912", "536870912"],
    ["512Mi", "512Mi"],
    ["512MiB", "512Mi"],
    ["1G", "1G"],
    ["1GB", "1G"],
    ["1KB", "1k"],
    ["1K", "1k"],
    ["64Ki", "64Ki"],
    ["1.5Gi", "1.5Gi"],
  ])("takes %s as the quantity %s", (flag, quantity) => {
    expect(parseSize(flag)).toBe(quantity);
  });

  it.each(["", "0", "12x", "512m", "1MiiB", "iB", "-1", "5Pi", "1 GB extra"])("refuses %j", (flag) => {
    expect(() => parseSize(flag)).toThrow(InvalidArgumentError);
  });
});

describe("other flag values", () => {
  it("takes CPUs as numbers or millicores", () => {
    expect(parseCpu("0.5")).toBe("0.5");
    expect(parseCpu("500m")).toBe("500m");
    expect(() => parseCpu("0")).toThrow(/positive number of CPUs/);
  });

  it("takes GB with or without a suffix", () => {
    expect(parseGigabytes("5")).toBe(5);
    expect(parseGigabytes("0.5GB")).toBe(0.5);
    expect(() => parseGigabytes("5Gi")).toThrow(/size in GB/);
  });

  it("collects NAME=VALUE, keeping '=' in values", () => {
    expect(collectEnv("B=x=y", collectEnv("A=1"))).toEqual({ A: "1", B: "x=y" });
    expect(() => collectEnv("=x")).toThrow(/NAME=VALUE/);
  });

  it("collects mounts, read-only with :ro", () => {
    expect(collectMount("logs:/var/log:ro", collectMount("data:/data"))).toEqual([
      { volume: "data", mountPath: "/data", readOnly: false },
      { volume: "logs", mountPath: "/var/log", readOnly: true },
    ]);
    expect(() => collectMount("data:relative")).toThrow(/VOLUME:\/absolute\/path/);
  });
});
