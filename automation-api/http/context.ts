import type { ProjectRequests, JobQueue } from "../domain/project-requests.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { ZoneClusters } from "../cluster/cluster.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { EventBus } from "../jobs/event-bus.js";
import type { StreamSlots } from "./event-stream.js";
import type { Store } from "../store/store.js";

/** What route modules share. */
export interface RouteContext {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  /** The zones' clusters, read at the moment a request needs them. */
  readonly clusters: ZoneClusters;
  /** Seals and opens members' secret values; none when the operator gave no key. */
  readonly secrets: SecretBox | undefined;
  readonly jobs: JobQueue;
  readonly bus: EventBus;
  readonly requests: ProjectRequests;
  /** Open event streams of this process, per token and in all. */
  readonly streams: StreamSlots;
  /** Longest lifetime of project tokens, in seconds; none when undefined. */
  readonly projectTokenMaxLifetimeSeconds: number | undefined;
  /** Comment lines keep idle event streams open through proxies. */
  readonly streamHeartbeatMs: number;
}
