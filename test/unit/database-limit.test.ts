import { describe, expect, it } from "vitest";
import {
  decideDatabaseLimit,
  formatGB,
  isOverLimit,
  limitEventMessage,
  refusalHint,
  refusalMessage,
  type DatabaseLimitState,
} from "../../automation-api/domain/database-limit.js";
import { acceptWritesSql, refuseWritesSql } from "../../automation-api/datastores/database-guard.js";

const accepted: DatabaseLimitState = { writes: "accepted", refusedAtLimitBytes: null };
const refused: DatabaseLimitState = { writes: "refused", refusedAtLimitBytes: 10_000_000 };
const LIMIT = 10_000_000;

describe("decideDatabaseLimit", () => {
  it.each([
    ["never measured, under", undefined, LIMIT - 1, "none"],
    ["never measured, over", undefined, LIMIT + 1, "refuse"],
    ["accepting, exactly at the limit", accepted, LIMIT, "none"],
    ["accepting, one byte over", accepted, LIMIT + 1, "refuse"],
    ["refusing, still over", refused, LIMIT + 1, "renew"],
    ["refusing, back at the limit", refused, LIMIT, "restore"],
    ["refusing, well under", refused, 1, "restore"],
  ] as const)("%s: %s", (_name, state, sizeBytes, action) => {
    expect(decideDatabaseLimit(state, { sizeBytes, limitBytes: LIMIT })).toBe(action);
  });

  it("restores writes when the limit is raised above the size", () => {
    expect(decideDatabaseLimit(refused, { sizeBytes: 12_000_000, limitBytes: 50_000_000 })).toBe("restore");
  });

  it("refuses writes when the limit is lowered below the size", () => {
    expect(decideDatabaseLimit(accepted, { sizeBytes: 12_000_000, limitBytes: 10_000_000 })).toBe("refuse");
  });
});

describe("isOverLimit", () => {
  it("counts a database at exactly its limit as within it", () => {
    expect(isOverLimit({ sizeBytes: LIMIT, limitBytes: LIMIT })).toBe(false);
  });
});

describe("formatGB", () => {
  it.each([
    [10_000_000, "0.01"],
    [12_345_678, "0.0123"],
    [500_000_000, "0.5"],
    [1_000_000_000, "1"],
    [7_654_321_000, "7.65"],
    [123_456_000_000, "123"],
    [0, "0"],
  ])("writes %d bytes as %s GB", (bytes, text) => {
    expect(formatGB(bytes)).toBe(text);
  });
});

describe("messages", () => {
  it("names the database and its limit in the refusal an app's write gets", () => {
    expect(refusalMessage("shop_main", 10_000_000)).toBe(
      "database shop_main is over its size limit of 0.01 GB: pluskube refuses writes to it",
    );
  });

  it("tells the member what still works and when the measurement comes", () => {
    expect(refusalHint(60)).toMatch(/DELETE, TRUNCATE, DROP and VACUUM still work.*every 60 s/);
  });

  it("gives the size and the limit in the events", () => {
    const measurement = { sizeBytes: 12_000_000, limitBytes: 10_000_000 };

    expect(limitEventMessage("refuse", "shop_main", measurement)).toBe(
      "writes refused: database shop_main holds 0.012 GB of 0.01 GB; delete data (then VACUUM) or raise sizeGB",
    );
    expect(limitEventMessage("restore", "shop_main", measurement)).toBe(
      "writes accepted again: database shop_main holds 0.012 GB of 0.01 GB",
    );
  });
});

describe("refuseWritesSql", () => {
  const refusal = { database: "shop_main", role: "shop_main", message: "it's full", hint: "delete" };

  it("quotes the message as a SQL literal", () => {
    const sql = refuseWritesSql(refusal).join(";\n");

    expect(sql).toContain("message = 'it''s full'");
    expect(sql).not.toContain("it's full");
  });

  it("answers refused writes with SQLSTATE 53100", () => {
    expect(refuseWritesSql(refusal).join("\n")).toContain("errcode = '53100'");
  });

  it("takes out the schema it makes, and with it the triggers", () => {
    expect(acceptWritesSql()[0]).toBe('drop schema if exists "pluskube_size_limit" cascade');
  });
});
