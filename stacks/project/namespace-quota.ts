import type { TenantQuota } from "../../components/tenant-namespace/index.js";
import type { ProjectSpec } from "../../spec/project.js";
import { OUTSIDE_CLUSTER_KINDS } from "../../spec/claim-kinds.js";
import { formatBytes, formatCpu, requireBytes } from "../../spec/quantity.js";
import { chunkUsage, replicaUsage } from "../../spec/usage.js";
import type { ZoneSpec } from "../../spec/zone.js";

/**
 * Room every count gets on top of what the spec makes: the objects the cluster adds by itself
 * (`kube-root-ca.crt`, cert-manager's certificate Secrets, Knative's revision Services) and a
 * few of the project's own.
 */
export const OBJECT_ALLOWANCE = 10;

/** Services Knative makes per serverless app: the route's, and a public and a private one per revision. */
const KNATIVE_SERVICES_PER_APP = 3;

/** Bytes as a quantity; zero as `0` rather than `0Pi`. */
const size = (value: number): string => (value === 0 ? "0" : formatBytes(value));

/**
 * The ResourceQuota of a project's namespace, from its spec: what the spec asks plus the room a
 * rollout needs, and nothing else.
 *
 * - cpu, memory, ephemeral storage: every app's replicas times its per-replica resources, plus
 *   one more replica of each app that runs (a rollout surges one pod at a time, maxSurge 1),
 *   plus, for a serverless app, one LimitRange-default container (one zone chunk) per replica
 *   and surge pod for Knative's queue-proxy sidecar, which names no limits itself.
 * - storage and persistentvolumeclaims: exactly the persistent volumes.
 * - pods: the replicas plus one surge pod per running app.
 * - services, secrets, configmaps: what the spec makes (one Service per app, three per
 *   serverless app; one Secret per database, bucket and TLS certificate) plus `OBJECT_ALLOWANCE`.
 *
 * Ephemeral volumes are not added: emptyDirs are charged to their pod through the containers'
 * ephemeral-storage limits, not to the quota. The service and the policy pack check the spec
 * against the user's share before this quota exists; it only stops what was not admitted.
 */
export function namespaceQuota(spec: ProjectSpec, zone: ZoneSpec): TenantQuota {
  const chunk = chunkUsage(zone);
  let cpu = 0;
  let memory = 0;
  let disk = 0;
  let pods = 0;
  let services = 0;
  let certificates = 0;
  for (const app of spec.apps) {
    const replica = replicaUsage(app, zone);
    const running = app.replicas > 0 ? app.replicas + 1 : 0;
    const sidecars = app.serverless ? running : 0;
    cpu += running * replica.cpuMillis + sidecars * chunk.cpuMillis;
    memory += running * replica.memoryBytes + sidecars * chunk.memoryBytes;
    disk += running * replica.diskBytes + sidecars * chunk.diskBytes;
    pods += running;
    services += app.serverless ? KNATIVE_SERVICES_PER_APP : 1;
    if (!app.serverless && zone.certIssuer !== "") certificates += 1;
  }
  const persistent = spec.volumes.filter((volume) => volume.kind === "persistent");
  const storage = persistent.reduce((sum, volume) => sum + requireBytes(volume.size, volume.name), 0);
  // One Secret per claim that lives outside the cluster (its credentials).
  const claimSecrets = OUTSIDE_CLUSTER_KINDS.reduce((sum, { kind }) => sum + spec[kind].length, 0);
  return {
    cpu: formatCpu(cpu),
    memory: size(memory),
    ephemeralStorage: size(disk),
    storage: size(storage),
    pods,
    services: services + OBJECT_ALLOWANCE,
    persistentVolumeClaims: persistent.length,
    secrets: claimSecrets + certificates + OBJECT_ALLOWANCE,
    configMaps: OBJECT_ALLOWANCE,
  };
}
