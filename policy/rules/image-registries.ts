/**
 * An optional allow-list of the registries images may come from, for zones whose operators
 * want to keep tenants on a mirror or on registries they trust.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { ImageRegistriesConfig } from "../config.js";
import { containersOf } from "../kube.js";
import { parseImageReference } from "../../spec/names.js";
import { addressRegistryProblem } from "../../spec/registries.js";
import { validatePodTemplates } from "./workloads.js";

/** Other names of Docker Hub, which references without a registry are pulled from. */
const DOCKER_HUB_ALIASES = ["docker.io", "index.docker.io", "registry-1.docker.io"];

function normalise(registry: string): string {
  return DOCKER_HUB_ALIASES.includes(registry) ? "docker.io" : registry;
}

/**
 * Whether an image is allowed by one entry: a registry (`ghcr.io`) allows all its images, a
 * registry path (`ghcr.io/team`) the repositories under it.
 */
function allows(entry: string, registry: string, repository: string): boolean {
  const [entryRegistry = "", ...entryPath] = entry.split("/");
  if (normalise(entryRegistry) !== registry) return false;
  if (entryPath.length === 0) return true;
  const prefix = entryPath.join("/");
  return repository === prefix || repository.startsWith(`${prefix}/`);
}

/**
 * What is wrong with an image's registry, worded to follow the field's path (`...image`); the
 * service asks the same before it runs a stack, so that a refusal creates nothing.
 */
export function imageRegistryProblem(
  image: string,
  allowed: readonly string[],
  addressRegistries: readonly string[],
): string | undefined {
  // The node pulls outside any NetworkPolicy: an address registry reaches the zone's inside.
  const addressProblem = addressRegistryProblem(image, addressRegistries);
  if (addressProblem) return `: ${addressProblem}`;
  if (allowed.length === 0) return undefined;
  const reference = parseImageReference(image);
  if (!reference) return ` '${image}' is not an image reference such as ghcr.io/team/app:1.0`;
  const registry = normalise(reference.registry ?? "docker.io");
  // Docker Hub's official images (`nginx`) live under `library/`.
  const repository =
    registry === "docker.io" && !reference.repository.includes("/")
      ? `library/${reference.repository}`
      : reference.repository;
  if (allowed.some((entry) => allows(entry, registry, repository))) return undefined;
  return ` '${image}' comes from ${registry}/${repository}, which is not allowed; allowed: ${allowed.join(", ")}`;
}

export const imageRegistries: ResourceValidationPolicy = {
  name: "image-registries",
  description:
    "Images come only from the registries the zone allows (all when the list is empty), and never from a registry named by an address (IP literal, localhost, link-local) the zone does not allow by name.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowed: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description:
          "Registries (ghcr.io) or registry paths (ghcr.io/team) images may come from; empty allows all.",
      },
      addressRegistries: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: [],
        description:
          "Registries named by an address (10.0.3.9:5000) the zone allows, exactly as written; other address registries are refused.",
      },
    },
  },
  validateResource: validatePodTemplates((pod, args, reportViolation) => {
    const config = args.getConfig<Partial<ImageRegistriesConfig>>();
    for (const { path, container } of containersOf(pod)) {
      const problem = imageRegistryProblem(
        container.image ?? "",
        config.allowed ?? [],
        config.addressRegistries ?? [],
      );
      if (problem) reportViolation(`${path}.image${problem}`);
    }
  }),
};
