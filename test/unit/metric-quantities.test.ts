import { describe, expect, it } from "vitest";
import { measured } from "../../automation-api/cluster/kube-namespace-reader.js";

describe("measured quantities of the metrics API", () => {
  it.each([
    ["123456789n", 0.123456789],
    ["250m", 0.25],
    ["2", 2],
    ["2048Ki", 2048 * 1024],
    ["1Gi", 2 ** 30],
    ["", 0],
    ["12parsecs", 0],
  ])("reads %s as %d", (text, value) => {
    expect(measured(text)).toBeCloseTo(value, 9);
  });
});
