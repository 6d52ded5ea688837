import { z } from "zod";

const Timestamp = z.string().describe("ISO 8601 date and time");

/** A project's custom domain as answers show it (documentation only). */
export const CustomDomain = z.object({
  domain: z.string().describe("A host name such as shop.example.org, or a wildcard such as *.example.org"),
  state: z
    .enum(["pending", "verified", "lapsed"])
    .describe(
      "pending: waiting for its record; verified: apps may use it (a wildcard: every name under it); lapsed: its record disappeared, apps lost its hosts",
    ),
  record: z
    .object({
      type: z.literal("TXT"),
      name: z.string().describe("_pluskube-challenge.<domain without *.>"),
      value: z.string().describe("pluskube-verification=<the project's token>"),
    })
    .describe("The record to publish to verify the domain, and to keep published while it is used"),
  hosts: z
    .array(z.object({ app: z.string(), host: z.string() }))
    .describe("The apps' custom domains this domain covers"),
  problem: z
    .string()
    .nullable()
    .describe(
      "What the last look found wrong (no record, another value, no answer); null when it found the record",
    ),
  missedChecks: z.number().int().describe("Looks in a row that did not find the record while verified"),
  createdAt: Timestamp,
  checkedAt: Timestamp.nullable(),
  nextCheckAt: Timestamp.describe("When the service looks at the record next on its own"),
  verifiedAt: Timestamp.nullable(),
  lapsedAt: Timestamp.nullable(),
  operation: z
    .object({ id: z.string(), links: z.record(z.string(), z.string()) })
    .optional()
    .describe("The operation rolling out a change this request made to the project's spec"),
  links: z.record(z.string(), z.string()),
});
