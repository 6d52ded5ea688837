import { CLAIM_KIND_NAMES, type ClaimKindName } from "../../spec/claim-kinds.js";
import type { ProjectSpec } from "../../spec/project.js";

/** The project as the service holds it now: its settings and every item, as the API answers them. */
export interface CurrentProject {
  readonly zone: string;
  readonly internetEgress: boolean;
  readonly verifiedDomains: readonly string[];
  readonly items: { readonly [K in ClaimKindName]: readonly Record<string, unknown>[] };
}

/** One change a plan makes, in the order it is made. */
export type Change =
  | {
      readonly action: "create-project" | "update-project";
      readonly zone: string;
      readonly internetEgress: boolean;
    }
  | {
      readonly action: "create" | "replace";
      readonly kind: ClaimKindName;
      readonly name: string;
      readonly item: Record<string, unknown>;
      /** The fields that differ, for a replacement. */
      readonly fields: readonly string[];
    }
  | { readonly action: "delete"; readonly kind: ClaimKindName; readonly name: string };

/** What an item answer carries beside its spec. */
const ANSWER_ONLY = new Set(["project", "deployed", "outputs", "links"]);

/** An item's spec from an answer: the answer without what only answers carry. */
export function specOfAnswer(answer: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(answer).filter(([key]) => !ANSWER_ONLY.has(key)));
}

/** JSON with keys in order, so that two equal values print the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : inner,
  );
}

// Volumes first, so that an app created beside the volume it mounts finds it; apps last, as
// they name databases, buckets and volumes. Deletions run the other way round.
const CREATE_ORDER: readonly ClaimKindName[] = ["volumes", "databases", "buckets", "apps"];

/**
 * The changes that turn the project as it is (or nothing, for a new one) into the spec: the
 * project's settings, then items to create or replace, then items to delete. An item equal to
 * the spec's is left alone, so that applying a spec twice changes nothing the second time.
 */
export function planChanges(spec: ProjectSpec, current: CurrentProject | undefined): Change[] {
  const changes: Change[] = [];
  if (!current) {
    changes.push({ action: "create-project", zone: spec.zone, internetEgress: spec.internetEgress });
  } else if (current.internetEgress !== spec.internetEgress) {
    changes.push({ action: "update-project", zone: spec.zone, internetEgress: spec.internetEgress });
  }
  const existing = (kind: ClaimKindName) =>
    new Map((current?.items[kind] ?? []).map((answer) => [String(answer["name"]), specOfAnswer(answer)]));
  for (const kind of CREATE_ORDER) {
    const now = existing(kind);
    for (const wanted of spec[kind] as readonly Record<string, unknown>[]) {
      const name = String(wanted["name"]);
      const held = now.get(name);
      if (!held) {
        changes.push({ action: "create", kind, name, item: wanted, fields: [] });
        continue;
      }
      const fields = [...new Set([...Object.keys(wanted), ...Object.keys(held)])].filter(
        (field) => canonical(wanted[field]) !== canonical(held[field]),
      );
      if (fields.length > 0) changes.push({ action: "replace", kind, name, item: wanted, fields });
    }
  }
  for (const kind of [...CREATE_ORDER].reverse()) {
    const wanted = new Set((spec[kind] as readonly { name: string }[]).map((item) => item.name));
    for (const name of existing(kind).keys()) {
      if (!wanted.has(name)) changes.push({ action: "delete", kind, name });
    }
  }
  return changes;
}

/** One line per change, as `apply` shows the plan. */
export function describeChange(change: Change): string {
  switch (change.action) {
    case "create-project":
      return `+ project in zone ${change.zone}`;
    case "update-project":
      return `~ project: internetEgress ${String(change.internetEgress)}`;
    case "create":
      return `+ ${change.kind}/${change.name}`;
    case "replace":
      return `~ ${change.kind}/${change.name}: ${change.fields.join(", ")}`;
    case "delete":
      return `- ${change.kind}/${change.name}`;
  }
}

/** Every item kind, in the registry's order, for code that reads them all. */
export const ITEM_KINDS = CLAIM_KIND_NAMES;
