import { z } from "zod";

const Timestamp = z.string().describe("ISO 8601 date and time");

/** A project's reconciles, as `present-reconcile.ts` shows them. */
export const ReconcileState = z
  .object({
    status: z
      .enum(["pending", "in-sync", "repaired", "failed", "failing"])
      .describe(
        "`pending` before the first reconcile; the last result; `failing` once reconciles failed the zone's `reconcile.reportAfterFailures` times in a row, after which they back off",
      ),
    lastAt: Timestamp.nullable(),
    lastResult: z.enum(["in-sync", "repaired", "failed"]).nullable(),
    message: z.string().nullable().describe("What drifted, or why the last reconcile failed"),
    failures: z.number().int().describe("Failed reconciles in a row"),
    nextAt: Timestamp.nullable(),
    lastRepair: z.string().optional().describe("The operation of the last repair"),
  })
  .describe(
    "The service compares the project's cluster objects with its stack every `reconcile.intervalSeconds` of its zone and repairs drift with an update, listed among the project's operations as `reconcile`; a reconcile that finds nothing is recorded only here",
  );
