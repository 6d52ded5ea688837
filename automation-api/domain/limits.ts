import { CLAIM_KIND_NAMES, claimKindOf } from "../../spec/claim-kinds.js";
import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { Queries } from "../store/store.js";
import { LimitError, LimitReachedError } from "./errors.js";

/**
 * The zone's limits (`limits` of spec/zone.ts) beside the fair share: how many projects a member
 * and items a project may have, and the sizes and connections one item may ask. Like the share,
 * a limit refuses only what a request adds or changes, so a project left beyond a limit an
 * operator lowered keeps what it has and can always shrink.
 */

/** Refuses a member's next project in a zone where they have as many as the zone allows. */
export async function checkProjectCount(queries: Queries, userId: string, zone: ZoneSpec): Promise<void> {
  const allowed = zone.limits.projectsPerMember;
  const current = await queries.countUserProjectsInZone(userId, zone.name);
  if (current >= allowed) {
    throw new LimitReachedError(
      `you have ${current} projects in zone '${zone.name}', the most its limits.projectsPerMember allows (${allowed}); delete one first`,
      { limit: "limits.projectsPerMember", allowed, current },
    );
  }
}

const itemCount = (spec: ProjectSpec): number =>
  CLAIM_KIND_NAMES.reduce((sum, kind) => sum + spec[kind].length, 0);

/**
 * Checks a change of a project's spec against its zone's limits: the number of items when it
 * grows (409), and every item the change adds or alters (422, with paths inside the item, since
 * a request changes one item).
 */
export function checkSpecLimits(before: ProjectSpec, after: ProjectSpec, zone: ZoneSpec): void {
  const issues = CLAIM_KIND_NAMES.flatMap((kind) => {
    const { limitIssues } = claimKindOf(kind);
    if (!limitIssues) return [];
    const previous = new Map(before[kind].map((item) => [item.name, JSON.stringify(item)]));
    return after[kind]
      .filter((item) => previous.get(item.name) !== JSON.stringify(item))
      .flatMap((item) => limitIssues(item, zone.limits));
  });
  if (issues.length > 0) throw new LimitError(issues);

  const allowed = zone.limits.itemsPerProject;
  const count = itemCount(after);
  if (count > allowed && count > itemCount(before)) {
    throw new LimitReachedError(
      `project '${after.project}' would have ${count} apps, databases, buckets and volumes; zone '${zone.name}' allows ${allowed} per project (limits.itemsPerProject)`,
      { limit: "limits.itemsPerProject", allowed, current: itemCount(before) },
    );
  }
}
