import {
  crossReferenceIssues,
  ProjectSpecSchema,
  type ClaimItem,
  type ProjectSpec,
} from "../../spec/project.js";
import { CLAIM_KINDS, type ClaimKindName } from "../../spec/claim-kinds.js";
import { formatPath, toSpecIssues, type SpecIssue } from "../../spec/errors.js";
import type { z } from "zod";
import { beyondBoundOf } from "../../spec/fields.js";
import { ConflictError, LimitError, ValidationError } from "./errors.js";

/**
 * Spec assembly: how a request on one app, database, bucket or volume changes the project's
 * desired ProjectSpec, validated as a whole so cross references (mounted volumes, verified
 * domains) are checked where the request is made.
 */

export interface ProjectSettings {
  readonly internetEgress?: boolean;
}

/**
 * The error for a body that does not parse: 422 when every issue is a well-formed value beyond
 * a bound (a quantity too large to count), 400 otherwise.
 */
export function requestErrorOf(error: z.ZodError): LimitError | ValidationError {
  const bounds = error.issues.map(beyondBoundOf);
  if (bounds.length === 0 || bounds.some((bound) => bound === undefined)) {
    return new ValidationError(toSpecIssues(error));
  }
  return new LimitError(
    error.issues.map((issue, index) => ({
      path: formatPath(issue.path),
      message: issue.message,
      limit: "quantity",
      allowed: bounds[index] ?? "",
    })),
  );
}

/** A new project's spec: the one time the service parses a whole spec, to fill in its defaults. */
export function emptyProjectSpec(project: string, zone: string, settings: ProjectSettings = {}): ProjectSpec {
  const result = ProjectSpecSchema.safeParse({ project, zone, ...settings });
  if (!result.success) throw new ValidationError(toSpecIssues(result.error));
  return result.data;
}

/** An item merged from a patch, parsed with its kind's schema; issues name fields of the item. */
export function parseItem<C extends ClaimKindName>(collection: C, input: unknown): ClaimItem<C> {
  const result = CLAIM_KINDS[collection].schema.safeParse(input);
  if (!result.success) throw requestErrorOf(result.error);
  return result.data as ClaimItem<C>;
}

/**
 * A spec assembled from parsed parts, checked as a whole (unique names, mounted volumes, verified
 * domains) without parsing it again; issues inside `focus` are given relative to it.
 */
export function checkedSpec(spec: ProjectSpec, focus?: readonly PropertyKey[]): ProjectSpec {
  const found = crossReferenceIssues(spec);
  if (found.length === 0) return spec;
  const prefix = focus ? formatPath(focus) : undefined;
  const issues: SpecIssue[] = found.map(({ path, message }) => {
    const issue = { path: formatPath(path), message };
    if (prefix === undefined) return issue;
    if (issue.path === prefix) return { ...issue, path: "" };
    if (issue.path.startsWith(`${prefix}.`)) return { ...issue, path: issue.path.slice(prefix.length + 1) };
    return issue;
  });
  throw new ValidationError(issues);
}

export function findItem<C extends ClaimKindName>(
  spec: ProjectSpec,
  collection: C,
  name: string,
): ClaimItem<C> | undefined {
  return (spec[collection] as readonly ClaimItem<C>[]).find((item) => item.name === name);
}

/** The spec with `item` replacing the one of the same name, or appended. */
export function putItem<C extends ClaimKindName>(
  spec: ProjectSpec,
  collection: C,
  item: ClaimItem<C>,
): ProjectSpec {
  const items = spec[collection] as readonly ClaimItem<C>[];
  const index = items.findIndex((existing) => existing.name === item.name);
  const next = index < 0 ? [...items, item] : items.map((existing, i) => (i === index ? item : existing));
  const candidate = { ...spec, [collection]: next };
  return checkedSpec(candidate, [collection, index < 0 ? items.length : index]);
}

/** The apps that mount a volume. */
export function appsMounting(spec: ProjectSpec, volume: string): string[] {
  return spec.apps
    .filter((app) => app.volumes.some((mount) => mount.volume === volume))
    .map((app) => app.name);
}

/** The spec without the named item; refuses to drop a volume that apps still mount. */
export function removeItem(spec: ProjectSpec, collection: ClaimKindName, name: string): ProjectSpec {
  if (collection === "volumes") {
    const apps = appsMounting(spec, name);
    if (apps.length > 0) {
      throw new ConflictError(
        `volume '${name}' is still mounted by ${apps.length === 1 ? "app" : "apps"} ${apps.map((app) => `'${app}'`).join(", ")}; remove the mounts first`,
        { apps },
        "volume-in-use",
      );
    }
  }
  const items = spec[collection] as readonly { name: string }[];
  return checkedSpec({ ...spec, [collection]: items.filter((item) => item.name !== name) });
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON Merge Patch (RFC 7386): objects merge key by key, `null` removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result = new Map<string, unknown>(isPlainObject(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, mergePatch(result.get(key), value as JsonValue));
  }
  return Object.fromEntries(result);
}

/** Namespaces a project may never be: the cluster's own, the platform's and the ingress controller's. */
export function reservedProjectName(name: string, zone: { readonly ingressNamespace: string }): boolean {
  return (
    name === "default" ||
    name.startsWith("kube-") ||
    name.startsWith("pluskube") ||
    name === zone.ingressNamespace ||
    ["knative-serving", "kourier-system", "cert-manager"].includes(name)
  );
}
