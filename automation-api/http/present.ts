import type { ZoneSpec } from "../../spec/zone.js";
import { roundUsage } from "../../spec/usage.js";
import { specAmounts, zoneAllocatable } from "../domain/quota.js";
import { CLAIM_KIND_NAMES, claimKindOf, type ClaimKindName } from "../../spec/claim-kinds.js";
import type { EventRow, OperationRow, ProjectRow, TokenRow, UserRow } from "../store/schema.js";

/** JSON shapes of the API's answers, built from rows. */

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function operationLinks(operation: Pick<OperationRow, "id" | "project">) {
  return {
    self: `/v1/operations/${operation.id}`,
    events: `/v1/operations/${operation.id}/events`,
    project: `/v1/projects/${operation.project}`,
  };
}

export function presentOperation(operation: OperationRow, events?: readonly EventRow[]) {
  return {
    id: operation.id,
    status: operation.status,
    kind: operation.kind,
    request: operation.request,
    project: operation.project,
    zone: operation.zone,
    revision: operation.revision,
    message: operation.message,
    createdAt: operation.createdAt.toISOString(),
    startedAt: iso(operation.startedAt),
    finishedAt: iso(operation.finishedAt),
    links: operationLinks(operation),
    ...(events ? { events: events.map(presentEvent) } : {}),
  };
}

export function presentEvent(event: EventRow) {
  return { id: event.id, at: event.at.toISOString(), type: event.type, data: event.data };
}

export function presentProject(project: ProjectRow, zone: ZoneSpec | undefined) {
  const spec = project.spec;
  return {
    name: project.name,
    zone: project.zone,
    status: project.status,
    revision: project.revision,
    appliedRevision: project.appliedRevision,
    internetEgress: spec.internetEgress,
    verifiedDomains: spec.verifiedDomains,
    counts: Object.fromEntries(CLAIM_KIND_NAMES.map((kind) => [kind, spec[kind].length])),
    ...(zone ? { usage: roundUsage(specAmounts(spec, zone)) } : {}),
    outputs: project.outputs,
    createdAt: project.createdAt.toISOString(),
    links: {
      self: `/v1/projects/${project.name}`,
      ...Object.fromEntries(CLAIM_KIND_NAMES.map((kind) => [kind, `/v1/projects/${project.name}/${kind}`])),
      tokens: `/v1/projects/${project.name}/tokens`,
      operations: `/v1/projects/${project.name}/operations`,
    },
  };
}

/** What the last successful run reported about one item: an app's URLs, a claim's Secret name. */
export function itemOutputs(outputs: Record<string, unknown>, collection: ClaimKindName, name: string) {
  const found: Record<string, unknown> = {};
  for (const [field, output] of Object.entries(claimKindOf(collection).outputs)) {
    const byName = outputs[output];
    if (typeof byName === "object" && byName !== null && name in byName) {
      found[field] = (byName as Record<string, unknown>)[name];
    }
  }
  return Object.keys(found).length > 0 ? found : undefined;
}

export function presentItem(project: ProjectRow, collection: ClaimKindName, item: { name: string }) {
  const outputs = itemOutputs(project.outputs, collection, item.name);
  return {
    ...item,
    project: project.name,
    deployed: project.appliedRevision >= project.revision,
    ...(outputs ? { outputs } : {}),
    links: { self: `/v1/projects/${project.name}/${collection}/${item.name}` },
  };
}

export function presentUser(user: UserRow) {
  return {
    name: user.name,
    admin: user.isAdmin,
    weight: user.weight,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

export function presentToken(token: TokenRow, projectName?: string) {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    scope: token.scope,
    ...(projectName ? { project: projectName } : {}),
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: iso(token.lastUsedAt),
    revokedAt: iso(token.revokedAt),
    expiresAt: iso(token.expiresAt),
  };
}

export function presentZone(zone: ZoneSpec) {
  return {
    name: zone.name,
    baseDomain: zone.baseDomain,
    chunk: zone.chunk,
    capacity: zone.capacity,
    reserve: zone.reserve,
    allocatable: zoneAllocatable(zone),
    knative: zone.knative,
    limits: zone.limits,
  };
}
