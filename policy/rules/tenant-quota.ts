/**
 * The second of the three quota guards (DESIGN.md "Concepts"): the stack's total must fit the
 * share the service hands over as policy config. Counted: pods of every workload times their
 * replicas (a Knative Service its max-scale annotation, else 1; an autoscaled workload its
 * autoscaler's maxReplicas), their containers' cpu, memory and ephemeral storage, emptyDir size
 * limits as disk, PersistentVolumeClaims and volume claim templates as storage, and database and
 * bucket claims from their Secrets (see `CLAIM_LABEL`).
 *
 * During preview some values may be unknown (they depend on other resources' outputs). They are
 * never counted as zero: the rule counts what is known, refuses the stack if that alone exceeds
 * the share, and otherwise raises the unknown value to the policy SDK, which reports "can't run
 * policy during preview" as an advisory note naming what was counted and what was not. Stack
 * rules run again at the end of the update, when every value is known.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { formatBytes, formatCpu } from "../../spec/quantity.js";
import { RESOURCE_DIMENSIONS, type ResourceDimension } from "../../spec/usage.js";
import type { QuotaShare, TenantQuotaConfig } from "../config.js";
import { tallyStack, type StackTally, type Usage } from "../tally.js";

const LABELS: Record<ResourceDimension, string> = {
  cpuMillis: "cpu",
  memoryBytes: "memory",
  diskBytes: "disk",
  storageBytes: "storage",
  databaseGB: "databases",
  objectGB: "buckets",
};

/** A dimension's amount the way Kubernetes and the service print it. */
export function formatAmount(dimension: ResourceDimension, value: number): string {
  switch (dimension) {
    case "cpuMillis":
      return value === 0 ? "0" : formatCpu(Math.ceil(value));
    case "memoryBytes":
    case "diskBytes":
    case "storageBytes":
      return value === 0 ? "0" : formatBytes(Math.ceil(value));
    case "databaseGB":
    case "objectGB":
      return `${Number(value.toFixed(3))} GB`;
  }
}

function listAmounts(amounts: Partial<Usage>, dimensions: readonly ResourceDimension[]): string {
  return dimensions.map((d) => `${LABELS[d]} ${formatAmount(d, amounts[d] ?? 0)}`).join(", ");
}

/** Sums of GB with fractions must not fail on rounding (0.1 + 0.2 > 0.3). */
/** Whether `used` is beyond `share`, past rounding of sums of bytes and millicores. */
export function exceeds(used: number, share: number): boolean {
  return used - share > 1e-9 * Math.max(1, Math.abs(share));
}

function countedList(tally: StackTally): string {
  return tally.counted.length ? tally.counted.map((c) => c.resource).join(", ") : "nothing";
}

function uncountedList(tally: StackTally): string {
  return tally.uncounted.map((u) => `${u.resource} (${u.path || "the whole object"})`).join(", ");
}

export const tenantQuota: StackValidationPolicy = {
  name: "tenant-quota",
  description:
    "The stack's total cpu, memory, disk, storage, database and bucket GB, counting replicas, fits the project's share.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      share: {
        type: "object",
        default: {},
        additionalProperties: false,
        description: "What the stack may hold in total; a dimension left out is not limited.",
        properties: {
          cpuMillis: { type: "number", minimum: 0, description: "CPU in millicores." },
          memoryBytes: { type: "number", minimum: 0, description: "Memory in bytes." },
          diskBytes: {
            type: "number",
            minimum: 0,
            description: "Container ephemeral storage plus emptyDir size limits, in bytes.",
          },
          storageBytes: { type: "number", minimum: 0, description: "Persistent volume claims, in bytes." },
          databaseGB: { type: "number", minimum: 0, description: "Database sizes, in GB." },
          objectGB: { type: "number", minimum: 0, description: "Bucket sizes, in GB." },
        },
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const share: QuotaShare = args.getConfig<Partial<TenantQuotaConfig>>().share ?? {};
    const limited = RESOURCE_DIMENSIONS.filter((dimension) => share[dimension] !== undefined);
    if (limited.length === 0) return args.notApplicable("No share configured (tenant-quota.share)");

    const tally = tallyStack(args.resources);
    for (const { urn, message } of tally.uncountable) reportViolation(message, urn);

    const exceeded = limited.filter((d) => exceeds(tally.used[d], share[d] as number));
    if (exceeded.length > 0) {
      const over = exceeded
        .map(
          (d) =>
            `${LABELS[d]} (used ${formatAmount(d, tally.used[d])}, share ${formatAmount(d, share[d] as number)})`,
        )
        .join(", ");
      const partial = tally.uncounted.length
        ? ` Not yet known, so not counted (the real total is higher): ${uncountedList(tally)}.`
        : "";
      reportViolation(
        `the stack exceeds the project's share in ${over}. Used: ${listAmounts(tally.used, RESOURCE_DIMENSIONS)}. ` +
          `Share: ${listAmounts(share, limited)}. Counted: ${countedList(tally)}.${partial}`,
      );
      return;
    }
    const first = tally.uncounted[0];
    if (first) {
      // Re-raised so the SDK records it as an advisory "can't run during preview" note; the
      // message says what the partial count found.
      first.error.message =
        `counted ${listAmounts(tally.used, limited)} of the share ${listAmounts(share, limited)}, ` +
        `but these values are unknown until the update and were not counted: ${uncountedList(tally)}`;
      throw first.error;
    }
  },
};
