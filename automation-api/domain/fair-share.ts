import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { ProjectRow } from "../store/schema.js";
import type { Queries } from "../store/store.js";
import { SHARE_KINDS, sumUsage } from "../../spec/usage.js";
import {
  admit,
  fairShare,
  specAmounts,
  zoneAllocatable,
  ZERO,
  type Admission,
  type Amounts,
} from "./quota.js";

export interface UserQuota {
  readonly zone: string;
  readonly weight: number;
  /** Active users of the zone counting the asker. */
  readonly activeUsers: number;
  readonly totalWeight: number;
  readonly share: Amounts;
  readonly used: Amounts;
  /** Usage per project id, for the user's projects in the zone. */
  readonly projects: ReadonlyMap<string, Amounts>;
}

/**
 * A user's share of a zone and what their projects there use. The share counts every user with
 * a project in the zone plus the asker, so joining a zone shrinks everyone else's share.
 */
export async function userQuota(
  queries: Queries,
  user: { readonly id: string; readonly weight: number },
  zone: ZoneSpec,
  /** A project of the user the caller has read already, so its row is not read (and parsed) again. */
  current?: Pick<ProjectRow, "id" | "spec">,
): Promise<UserQuota> {
  // Apart, the two reads take two round trips one after the other; together, one's time.
  const [weights, rows] = await Promise.all([
    queries.activeWeights(zone.name),
    queries.userProjectsInZone(user.id, zone.name, current?.id),
  ]);
  weights.set(user.id, user.weight);
  const totalWeight = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  const projects = new Map(rows.map((row) => [row.id, specAmounts(row.spec, zone)]));
  if (current) projects.set(current.id, specAmounts(current.spec, zone));
  return {
    zone: zone.name,
    weight: user.weight,
    activeUsers: weights.size,
    totalWeight,
    share: fairShare(zone, user.weight, totalWeight),
    used: sumUsage(SHARE_KINDS, [...projects.values()]),
    projects,
  };
}

/**
 * What every member's projects in a zone hold now; `current`, a project the caller has read
 * already, counts as read.
 */
export async function zoneUsage(
  queries: Queries,
  zone: ZoneSpec,
  current?: Pick<ProjectRow, "id" | "spec">,
): Promise<Amounts> {
  // Outside an admission (which counts a spec of its own), an unchanged zone has its last sum.
  const fingerprint = current ? undefined : await queries.zoneProjectsFingerprint(zone.name);
  const last = totalsByZone.get(zone);
  if (fingerprint !== undefined && last?.fingerprint === fingerprint) return last.total;
  const versions = await queries.zoneProjectVersions(zone.name);
  const known = amountsByZone.get(zone) ?? new Map<string, VersionedAmounts>();
  const missing = versions
    .filter(({ id, version }) => known.get(id)?.version !== version)
    .map(({ id }) => id);
  const read = await queries.projectSpecsWithVersions(missing);
  // Rebuilt on every call, so that deleted projects leave the memo with their zone's next read.
  const next = new Map<string, VersionedAmounts>();
  for (const { id, version } of versions) {
    const entry = known.get(id);
    if (entry?.version === version) next.set(id, entry);
  }
  for (const row of read) next.set(row.id, { version: row.version, amounts: specAmounts(row.spec, zone) });
  amountsByZone.set(zone, next);
  const total = sumUsage(
    SHARE_KINDS,
    [...next].map(([id, entry]) => (id === current?.id ? specAmounts(current.spec, zone) : entry.amounts)),
  );
  if (fingerprint !== undefined) totalsByZone.set(zone, { fingerprint, total });
  return total;
}

interface VersionedAmounts {
  readonly version: string;
  readonly amounts: Amounts;
}

/**
 * What each project of a zone holds, by the version of its spec: a zone of a thousand projects
 * is read as ids and versions, and only changed specs are parsed and measured again.
 */
const amountsByZone = new WeakMap<ZoneSpec, Map<string, VersionedAmounts>>();

/** The last sum of a zone, with the fingerprint of the projects it was taken from. */
const totalsByZone = new WeakMap<ZoneSpec, { readonly fingerprint: string; readonly total: Amounts }>();

/**
 * Admission of a change of one project's spec, from the project as read (`before`) to `after`:
 * within the member's fair share, and within what the zone has free. The caller holds the
 * member's and the zone's usage locks (`lockUserZone`, then `lockZoneUsage`).
 */
export async function admitChange(
  queries: Queries,
  user: { readonly id: string; readonly weight: number },
  zone: ZoneSpec,
  before: Pick<ProjectRow, "id" | "spec">,
  after: ProjectSpec,
): Promise<Admission> {
  const quota = await userQuota(queries, user, zone, before);
  return admit({
    used: quota.used,
    share: quota.share,
    before: quota.projects.get(before.id) ?? ZERO,
    after: specAmounts(after, zone),
    zone: { used: await zoneUsage(queries, zone, before), allocatable: zoneAllocatable(zone) },
  });
}
