import type { TenantQuota } from "../../components/tenant-namespace/index.js";
import type { ClaimItem, ProjectSpec } from "../../spec/project.js";
import { CLAIM_KIND_NAMES, type ClaimKindName } from "../../spec/claim-kinds.js";
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

/** What a kind's items need of the namespace's ResourceQuota. */
interface NamespaceRoom {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly storageBytes: number;
  readonly pods: number;
  readonly services: number;
  readonly persistentVolumeClaims: number;
  readonly secrets: number;
  readonly ingresses: number;
  readonly deployments: number;
  readonly knativeServices: number;
  readonly domainMappings: number;
}

const NO_ROOM: NamespaceRoom = {
  cpuMillis: 0,
  memoryBytes: 0,
  diskBytes: 0,
  storageBytes: 0,
  pods: 0,
  services: 0,
  persistentVolumeClaims: 0,
  secrets: 0,
  ingresses: 0,
  deployments: 0,
  knativeServices: 0,
  domainMappings: 0,
};

function addRoom(a: NamespaceRoom, b: Partial<NamespaceRoom>): NamespaceRoom {
  const keys = Object.keys(a) as (keyof NamespaceRoom)[];
  return Object.fromEntries(keys.map((key) => [key, a[key] + (b[key] ?? 0)])) as unknown as NamespaceRoom;
}

type RoomOf<K extends ClaimKindName> = (
  items: readonly ClaimItem<K>[],
  zone: ZoneSpec,
) => Partial<NamespaceRoom>;

/** What each claim kind needs in its project's namespace, by kind of the registry. */
const NAMESPACE_ROOM: { readonly [K in ClaimKindName]: RoomOf<K> } = {
  apps: (apps, zone) => {
    const chunk = chunkUsage(zone);
    let room = NO_ROOM;
    for (const app of apps) {
      const replica = replicaUsage(app, zone);
      const running = app.replicas > 0 ? app.replicas + 1 : 0;
      const sidecars = app.serverless ? running : 0;
      room = addRoom(room, {
        cpuMillis: running * replica.cpuMillis + sidecars * chunk.cpuMillis,
        memoryBytes: running * replica.memoryBytes + sidecars * chunk.memoryBytes,
        diskBytes: running * replica.diskBytes + sidecars * chunk.diskBytes,
        pods: running,
        services: app.serverless ? KNATIVE_SERVICES_PER_APP : 1,
        // A served app's TLS certificate, when the zone issues them.
        secrets: !app.serverless && zone.certIssuer !== "" ? 1 : 0,
        // A served app's Ingress, and while a certificate is issued the issuer's HTTP-01
        // solver's, one per host (the random subdomain and each custom domain).
        ingresses: app.serverless ? 0 : 1 + (zone.certIssuer !== "" ? 1 + app.customDomains.length : 0),
        deployments: app.serverless ? 0 : 1,
        // A serverless app is a Knative Service published by a DomainMapping per host.
        knativeServices: app.serverless ? 1 : 0,
        domainMappings: app.serverless ? 1 + app.customDomains.length : 0,
      });
    }
    return room;
  },
  // One Secret per claim that lives outside the cluster (its credentials).
  databases: (databases) => ({ secrets: databases.length }),
  buckets: (buckets) => ({ secrets: buckets.length }),
  volumes: (volumes) => {
    const persistent = volumes.filter((volume) => volume.kind === "persistent");
    return {
      storageBytes: persistent.reduce((sum, volume) => sum + requireBytes(volume.size, volume.name), 0),
      persistentVolumeClaims: persistent.length,
    };
  },
};

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
 *   serverless app; one Secret per database, bucket and TLS certificate), the Secrets of
 *   `secretObjects` (apps' secret variables, registry credentials), plus `OBJECT_ALLOWANCE`.
 * - ingresses: exactly one per app that is not serverless (Knative routes serverless apps
 *   itself), plus, in a zone with a certificate issuer, one per host of it for the issuer's
 *   HTTP-01 solver. No allowance: nothing else in a namespace makes Ingresses, so an app
 *   scaled to zero still counts, and Ingresses made with a project's own token do not fit.
 * - deployments, and in a zone with Knative its Services and DomainMappings: exactly what the
 *   apps make (a Deployment per app that is not serverless; a Knative Service and a
 *   DomainMapping per host of each serverless one), for the same reason. Their names are fixed,
 *   so a replacement deletes before it creates and never needs a second.
 *
 * Ephemeral volumes are not added: emptyDirs are charged to their pod through the containers'
 * ephemeral-storage limits, not to the quota. The service and the policy pack check the spec
 * against the user's share before this quota exists; it only stops what was not admitted.
 */
export function namespaceQuota(spec: ProjectSpec, zone: ZoneSpec, secretObjects = 0): TenantQuota {
  let room = NO_ROOM;
  for (const kind of CLAIM_KIND_NAMES) {
    const roomOf = NAMESPACE_ROOM[kind] as RoomOf<ClaimKindName>;
    room = addRoom(room, roomOf(spec[kind], zone));
  }
  return {
    cpu: formatCpu(room.cpuMillis),
    memory: size(room.memoryBytes),
    ephemeralStorage: size(room.diskBytes),
    storage: size(room.storageBytes),
    pods: room.pods,
    services: room.services + OBJECT_ALLOWANCE,
    persistentVolumeClaims: room.persistentVolumeClaims,
    secrets: room.secrets + secretObjects + OBJECT_ALLOWANCE,
    configMaps: OBJECT_ALLOWANCE,
    ingresses: room.ingresses,
    deployments: room.deployments,
    ...(zone.knative
      ? { knative: { services: room.knativeServices, domainMappings: room.domainMappings } }
      : {}),
  };
}
