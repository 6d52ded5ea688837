import { z } from "zod";
import { parseWith } from "./errors.js";
import { CLAIM_KIND_NAMES, CLAIM_KINDS, claimKindOf, type ClaimKindName } from "./claim-kinds.js";
import { dnsLabel, hostName } from "./fields.js";
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
    /** Custom domains whose ownership the platform has verified for this project. */
    verifiedDomains: z.array(hostName).default([]),
    ...claimLists(),
  })
  .superRefine((spec, ctx) => {
    for (const key of CLAIM_KIND_NAMES) {
      const seen = new Set<string>();
      spec[key].forEach((item, index) => {
        if (seen.has(item.name)) {
          ctx.addIssue({
            code: "custom",
            path: [key, index, "name"],
            message: `duplicate name '${item.name}' in ${key}`,
          });
        }
        seen.add(item.name);
      });
    }
    const volumes = new Set(spec.volumes.map((volume) => volume.name));
    const verified = new Set(spec.verifiedDomains);
    spec.apps.forEach((app, index) => {
      app.volumes.forEach((mount, mountIndex) => {
        if (!volumes.has(mount.volume)) {
          ctx.addIssue({
            code: "custom",
            path: ["apps", index, "volumes", mountIndex, "volume"],
            message: `unknown volume '${mount.volume}'; the project's volumes are: ${[...volumes].join(", ") || "none"}`,
          });
        }
      });
      app.customDomains.forEach((domain, domainIndex) => {
        if (!verified.has(domain)) {
          ctx.addIssue({
            code: "custom",
            path: ["apps", index, "customDomains", domainIndex],
            message: `domain '${domain}' is not verified for this project; verified: ${[...verified].join(", ") || "none"}`,
          });
        }
      });
    });
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
