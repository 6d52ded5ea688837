import type { ProjectRequests, JobQueue } from "../domain/project-requests.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { EventBus } from "../jobs/event-bus.js";
import type { Store } from "../store/store.js";

/** What route modules share. */
export interface RouteContext {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  readonly jobs: JobQueue;
  readonly bus: EventBus;
  readonly requests: ProjectRequests;
  /** Event streams re-read the store this often even without a notification. */
  readonly streamPollMs: number;
  /** Longest lifetime of project tokens, in seconds; none when undefined. */
  readonly projectTokenMaxLifetimeSeconds: number | undefined;
  /** Comment lines keep idle event streams open through proxies. */
  readonly streamHeartbeatMs: number;
}
