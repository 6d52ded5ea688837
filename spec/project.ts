import { z } from "zod";
import { parseWith } from "./errors.js";
import { CLAIM_KIND_NAMES, CLAIM_KINDS, claimKindOf, type ClaimKindName } from "./claim-kinds.js";
import { dnsLabel } from "./fields.js";
import { coveringClaim, domainClaim } from "./domains.js";
import { addUsage, NO_USAGE, type Usage } from "./usage.js";
import type { ZoneSpec } from "./zone.js";

type ClaimLists = {
  [K in ClaimKindName]: z.ZodDefault<z.ZodArray<(typeof CLAIM_KINDS)[K]["schema"]>>;
};

/** One list per claim kind, in the registry's order, empty by default. */
function claimLists(): ClaimLists {
  return Object.fromEntries(
    CLAIM_KIND_NAMES.map((kind) => [kind, z.array(CLAIM_KINDS[kind].schema).default([])]),
  ) as ClaimLists;
}

/** Everything a project wants in one zone: the one spec that flows through service, stacks and policy. */
export const ProjectSpecSchema = z
  .strictObject({
    project: dnsLabel(40),
    zone: dnsLabel(30),
    /** Whether apps may open connections to the internet. */
    internetEgress: z.boolean().default(true),
    /**
     * Custom domains whose ownership the platform has verified for this project: host names,
     * or wildcards (`*.example.org`) that cover every name under theirs. The service keeps it.
     */
    verifiedDomains: z.array(domainClaim).default([]),
    ...claimLists(),
  })
  .superRefine((spec, ctx) => {
    for (const issue of crossReferenceIssues(spec)) ctx.addIssue({ code: "custom", ...issue });
  });

export type ProjectSpec = z.output<typeof ProjectSpecSchema>;
export type ProjectSpecInput = z.input<typeof ProjectSpecSchema>;

/** The item of a claim kind, as a parsed ProjectSpec holds it. */
export type ClaimItem<K extends ClaimKindName> = ProjectSpec[K][number];

export function parseProjectSpec(input: unknown): ProjectSpec {
  return parseWith(ProjectSpecSchema, "project spec", input);
}

/** Stack name of a project in a zone. */
export function stackName(project: string, zone: string): string {
  return `${project}.${zone}`;
}

/** Totals a ProjectSpec asks of its zone, counting replicas: the sum of every claim's usage. */
export function projectUsage(spec: ProjectSpec, zone: ZoneSpec): Usage {
  let usage = NO_USAGE;
  for (const kind of CLAIM_KIND_NAMES) {
    const { usage: usageOf } = claimKindOf(kind);
    for (const item of spec[kind]) usage = addUsage(usage, usageOf(item, zone));
  }
  return usage;
}

/** A problem of a spec as a whole, at a path such as `["apps", 1, "volumes", 0, "volume"]`. */
export interface CrossReferenceIssue {
  readonly path: PropertyKey[];
  readonly message: string;
}

type CrossReferenced = Pick<ProjectSpec, ClaimKindName | "verifiedDomains">;

/**
 * What no item schema can see alone: names unique within each kind, mounted volumes that exist,
 * custom domains that are verified. The schema runs it after parsing; the service runs it on a
 * spec assembled from parsed parts, without parsing the whole again.
 */
export function crossReferenceIssues(spec: CrossReferenced): CrossReferenceIssue[] {
  const issues: CrossReferenceIssue[] = [];
  for (const key of CLAIM_KIND_NAMES) {
    const seen = new Set<string>();
    spec[key].forEach((item, index) => {
      if (seen.has(item.name)) {
        issues.push({ path: [key, index, "name"], message: `duplicate name '${item.name}' in ${key}` });
      }
      seen.add(item.name);
    });
  }
  const volumes = new Set(spec.volumes.map((volume) => volume.name));
  spec.apps.forEach((app, index) => {
    app.volumes.forEach((mount, mountIndex) => {
      if (!volumes.has(mount.volume)) {
        issues.push({
          path: ["apps", index, "volumes", mountIndex, "volume"],
          message: `unknown volume '${mount.volume}'; the project's volumes are: ${[...volumes].join(", ") || "none"}`,
        });
      }
    });
    for (const kind of ["databases", "buckets"] as const) {
      const known = new Set(spec[kind].map((item) => item.name));
      (app.uses[kind] ?? []).forEach((name, useIndex) => {
        if (!known.has(name)) {
          issues.push({
            path: ["apps", index, "uses", kind, useIndex],
            message: `unknown ${kind === "databases" ? "database" : "bucket"} '${name}'; the project's ${kind} are: ${[...known].join(", ") || "none"}`,
          });
        }
      });
    }
    app.customDomains.forEach((domain, domainIndex) => {
      if (coveringClaim(spec.verifiedDomains, domain) === undefined) {
        issues.push({
          path: ["apps", index, "customDomains", domainIndex],
          message: `domain '${domain}' is not verified for this project; verified: ${spec.verifiedDomains.join(", ") || "none"}`,
        });
      }
    });
  });
  return issues;
}
