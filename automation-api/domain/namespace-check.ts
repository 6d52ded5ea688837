import { LabelKey, MANAGED_BY } from "../../components/labels.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { ClusterUnreachableError, type NamespaceFacts, type ZoneClusters } from "../cluster/cluster.js";
import { ConflictError, ZoneUnreachableError } from "./errors.js";

function isProjectNamespace(namespace: NamespaceFacts): boolean {
  return (
    namespace.labels[LabelKey.managedBy] === MANAGED_BY &&
    namespace.labels[LabelKey.project] === namespace.name
  );
}

/**
 * A new project's namespace is created by its stack or not at all (DESIGN.md "Concepts"), so a
 * name whose namespace already exists is refused: a namespace made by someone else would be
 * taken over, and one still held by a pluskube project (being deleted, or an operator's stack)
 * would be shared. The stack refuses as well, atomically, for the case where the namespace
 * appears between this check and its create.
 */
export async function requireNamespaceAbsent(
  clusters: ZoneClusters,
  zone: ZoneSpec,
  name: string,
): Promise<void> {
  let namespace: NamespaceFacts | undefined;
  try {
    namespace = await clusters.cluster(zone).namespace(name);
  } catch (error) {
    if (error instanceof ClusterUnreachableError) throw new ZoneUnreachableError(zone.name);
    throw error;
  }
  if (namespace === undefined) return;
  const reason = isProjectNamespace(namespace)
    ? `a pluskube project still holds namespace '${name}' in zone '${zone.name}'${
        namespace.terminating ? " while it is being deleted; try again once it is gone" : ""
      }`
    : `namespace '${name}' already exists in zone '${zone.name}' and was not created by pluskube`;
  throw new ConflictError(
    `${reason}; a project's namespace is created for it and never taken over, choose another name`,
    { namespace: name, zone: zone.name },
    "namespace-exists",
  );
}
