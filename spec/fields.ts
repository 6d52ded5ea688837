import { z } from "zod";
import {
  byteQuantityProblem,
  cpuQuantityProblem,
  formatBytes,
  formatCpu,
  MAX_BYTES,
  MAX_CPU_MILLIS,
  type QuantityProblem,
} from "./quantity.js";
import { isDnsLabel, isEnvName, isHostName, isImageReference } from "./names.js";

/** Reusable zod fields whose messages say what is allowed, shared by the zone and project schemas. */

export const dnsLabel = (maxLength = 63) =>
  z
    .string()
    .refine(
      (value) => isDnsLabel(value, maxLength),
      `must be a DNS label: 1-${maxLength} lowercase letters, digits or '-', starting and ending with a letter or digit`,
    );

/**
 * The bound a well-formed value is beyond (a quantity too large to count), as a zod issue of a
 * field carries it: the service answers those with 422 rather than 400.
 */
export function beyondBoundOf(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== "custom") return undefined;
  const allowed: unknown = issue.params?.["beyondBound"];
  return typeof allowed === "string" ? allowed : undefined;
}

/** A quantity field whose messages tell a malformed text from a quantity beyond the bound. */
function quantityField(
  problem: (value: string) => QuantityProblem | undefined,
  malformed: string,
  largest: string,
) {
  return z.string().superRefine((value, ctx) => {
    const found = problem(value);
    if (found === "beyond-bound") {
      ctx.addIssue({
        code: "custom",
        message: `must be at most ${largest}`,
        params: { beyondBound: largest },
      });
    } else if (found === "malformed") {
      ctx.addIssue({ code: "custom", message: malformed });
    }
  });
}

export const cpuQuantity = quantityField(
  cpuQuantityProblem,
  "must be a positive CPU quantity such as 250m or 1",
  `${formatCpu(MAX_CPU_MILLIS)} CPUs`,
);

export const byteQuantity = quantityField(
  byteQuantityProblem,
  "must be a positive size such as 512Mi or 1Gi",
  formatBytes(MAX_BYTES),
);

export const hostName = z
  .string()
  .refine(isHostName, "must be a host name such as app.example.org (lowercase, no wildcard)");

export const imageReference = z
  .string()
  .refine(
    isImageReference,
    "must be an image reference such as nginx:1.27 or registry.example.org/team/app@sha256:<digest> (no spaces, lowercase registry host)",
  );

export const envMap = z
  .record(z.string(), z.string().max(32_768, "environment values are limited to 32 KiB"))
  .superRefine((env, ctx) => {
    for (const name of Object.keys(env)) {
      if (!isEnvName(name)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `'${name}' is not an environment variable name: use letters, digits and '_', not starting with a digit`,
        });
      }
    }
  });
export const positiveInt = (max: number) =>
  z.number().int("must be a whole number").min(1, "must be at least 1").max(max, `must be at most ${max}`);
