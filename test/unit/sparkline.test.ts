import { describe, expect, it } from "vitest";
import { sparkline } from "../../cli/sparkline.js";

const HOUR = { end: 3_600_000, ms: 3_600_000 };

describe("a sparkline of the last hour", () => {
  it("places each figure by its time, one column a slice of the window, a space where none fell", () => {
    const line = sparkline(
      [
        { at: 0, value: 0 },
        { at: 1_800_000, value: 50 },
        { at: 3_600_000, value: 100 },
      ],
      HOUR,
      5,
    );

    expect(line).toBe("▁ ▅ █");
  });

  it("keeps a column's highest figure", () => {
    expect(
      sparkline(
        [
          { at: 10, value: 100 },
          { at: 20, value: 1 },
        ],
        HOUR,
        2,
      ),
    ).toBe("█ ");
  });

  it("draws figures that are all zero as the lowest bar, and leaves out those outside the window", () => {
    expect(
      sparkline(
        [
          { at: -5, value: 9 },
          { at: 100, value: 0 },
        ],
        HOUR,
        3,
      ),
    ).toBe("▁  ");
  });
});
