import { describe, expect, it } from "vitest";
import { freshDatabase, TestService } from "./harness.js";

describe("service processes starting at once", () => {
  it("both start on a new database, one of them setting the queue up while the other waits", async () => {
    const databaseUrl = await freshDatabase();

    const started = await Promise.allSettled([1, 2, 3].map(() => TestService.start({ databaseUrl })));

    try {
      expect(started.map((result) => (result.status === "rejected" ? String(result.reason) : "ok"))).toEqual([
        "ok",
        "ok",
        "ok",
      ]);
    } finally {
      for (const result of started) if (result.status === "fulfilled") await result.value.close();
    }
  }, 60_000);
});
