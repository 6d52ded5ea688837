/**
 * Every container states what it needs and what it may use: without requests the scheduler
 * over-commits the zone's shared nodes, without limits one tenant's pod can starve the others,
 * and `tenant-quota` counts what these fields say.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ContainerGroup, containersOf } from "../kube.js";
import { bytes, cpuMillis } from "../../spec/quantity.js";
import { validatePodTemplates } from "./workloads.js";

const REQUIRED = [
  ["requests", "cpu"],
  ["requests", "memory"],
  ["limits", "cpu"],
  ["limits", "memory"],
] as const;

/** Ephemeral containers may not set resources at all, so only these groups are checked. */
const GROUPS = [ContainerGroup.containers, ContainerGroup.initContainers];

function isValid(resource: "cpu" | "memory", value: string | number): boolean {
  const text = String(value);
  return resource === "cpu" ? cpuMillis(text) !== undefined : bytes(text) !== undefined;
}

export const resourcesRequired: ResourceValidationPolicy = {
  name: "resources-required",
  description: "Every container and init container sets cpu and memory requests and limits.",
  enforcementLevel: "mandatory",
  validateResource: validatePodTemplates((pod, _args, reportViolation) => {
    for (const { path, container } of containersOf(pod, GROUPS)) {
      for (const [kind, resource] of REQUIRED) {
        const value = container.resources?.[kind]?.[resource];
        const field = `${path}.resources.${kind}.${resource}`;
        if (value === undefined || value === "") {
          reportViolation(`${field} must be set`);
        } else if (!isValid(resource, value)) {
          reportViolation(
            `${field} must be a positive quantity such as ${resource === "cpu" ? "250m or 1" : "512Mi or 1Gi"}, got '${value}'`,
          );
        }
      }
    }
  }),
};
