import express, { type Express } from "express";
import helmet from "helmet";
import { ProjectRequests, type JobQueue } from "./domain/project-requests.js";
import type { ZoneCatalog } from "./domain/zones.js";
import type { ZoneClusters } from "./cluster/cluster.js";
import type { SecretBox } from "./domain/secret-box.js";
import type { ZoneDatastores } from "./datastores/datastores.js";
import type { BucketQuotas } from "./datastores/bucket-quotas.js";
import { authenticate } from "./http/auth.js";
import type { RouteContext } from "./http/context.js";
import { docsRoute } from "./http/docs.js";
import { StreamSlots, type StreamLimits } from "./http/event-stream.js";
import { portForwardRoutes } from "./http/port-forward.js";
import { notFoundRoute, problemMiddleware } from "./http/problem.js";
import { RateLimits, type RateLimitOptions } from "./http/rate-limit.js";
import { readinessRoute, type ReadinessCheck } from "./http/readiness.js";
import { markRouteBase, requestLog, resumeRequestLog } from "./http/request-log.js";
import { credentialRoutes } from "./http/routes/credentials.js";
import { domainRoutes } from "./http/routes/domains.js";
import { registryRoutes } from "./http/routes/registries.js";
import { secretEnvRoutes } from "./http/routes/secret-env.js";
import { appRuntimeRoutes } from "./http/routes/app-runtime.js";
import { claimStatusRoutes } from "./http/routes/claim-status.js";
import { itemRoutes } from "./http/routes/items.js";
import { operationRoutes } from "./http/routes/operations.js";
import { projectTokenRoutes } from "./http/routes/project-tokens.js";
import { projectRoutes } from "./http/routes/projects.js";
import { quotaRoutes } from "./http/routes/quota.js";
import { userRoutes } from "./http/routes/users.js";
import { WebSessionAuth, type WebSessionOptions } from "./http/web-session.js";
import { webUiRoutes } from "./http/web-ui.js";
import { TokenCache, type TokenCacheOptions } from "./http/token-cache.js";
import type { EventBus } from "./jobs/event-bus.js";
import { silentLogger, type Logger } from "./observability/log.js";
import type { ServiceMetrics } from "./observability/metrics.js";
import { openApiDocument } from "./openapi.js";
import type { Store } from "./store/store.js";
import { DEFAULT_USAGE_SAMPLE_SECONDS } from "./store/app-usage.js";

export interface AppDeps {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  /** The zones' clusters, read to decide requests (never written: stacks do that). */
  readonly clusters: ZoneClusters;
  readonly jobs: JobQueue;
  readonly bus: EventBus;
  /** Seals members' secret values at rest; without it the service refuses to store any (503). */
  readonly secrets?: SecretBox;
  /** The zones' PostgreSQL and S3, read for databases' and buckets' use. */
  readonly datastores: ZoneDatastores;
  /** Whether each bucket's writes are refused for being over its quota. Default: not told. */
  readonly bucketQuotas?: BucketQuotas;
  /** Requests per token per window (default 600 a minute), failed authentications per address (default 30). */
  readonly rateLimit?: RateLimitOptions;
  /** Token lifetimes: the longest a project token may live, in seconds. Default: no maximum. */
  readonly tokens?: { readonly projectTokenMaxLifetimeSeconds?: number };
  /**
   * Proxies whose `X-Forwarded-For` names the client, as express's `trust proxy` setting (e.g.
   * `loopback` or a hop count). Default: none, the client is the connection's address, which
   * the failed-authentication limit counts.
   */
  readonly trustProxy?: boolean | number | string;
  /** Largest accepted request body. Default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /** How long tokens looked up are kept in memory (default 10 s, dropped at once on any change). */
  readonly tokenCache?: TokenCacheOptions;
  /** Open event streams per token and per service process; 429 beyond. */
  readonly streams?: StreamLimits;
  /** Default 15 s. */
  readonly streamHeartbeatMs?: number;
  /** Where request lines and errors go. Default: nowhere. */
  readonly logger?: Logger;
  /** Counts requests by route template and status. Default: not counted. */
  readonly metrics?: ServiceMetrics;
  /** What `/readyz` checks (database, queue, shutdown). Default: nothing, always ready. */
  readonly readiness?: readonly ReadinessCheck[];
  /** The web UI's browser sessions (default: 12 hours, ending with their token). */
  readonly webSessions?: WebSessionOptions;
  /** Folder of the built web UI. Default `dist/web` of the repository. */
  readonly webDir?: string;
  /**
   * Seconds between samples of each app's CPU and memory, kept for an hour (default 60). The
   * processes that run workers sample; every process serves the hour.
   */
  readonly usageSampleSeconds?: number;
}

const JSON_TYPES = ["application/json", "application/merge-patch+json", "application/*+json"];

/** Builds the service's express app; it never listens (only `main.ts` does). */
export function createApp(deps: AppDeps): Express {
  const logger = deps.logger ?? silentLogger();
  const context: RouteContext = {
    store: deps.store,
    zones: deps.zones,
    clusters: deps.clusters,
    secrets: deps.secrets,
    jobs: deps.jobs,
    bus: deps.bus,
    requests: new ProjectRequests(deps.store, deps.jobs, deps.zones, deps.clusters),
    streams: new StreamSlots(deps.streams),
    projectTokenMaxLifetimeSeconds: deps.tokens?.projectTokenMaxLifetimeSeconds,
    streamHeartbeatMs: deps.streamHeartbeatMs ?? 15_000,
  };
  const document = openApiDocument();

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  if (deps.trustProxy !== undefined) app.set("trust proxy", deps.trustProxy);
  app.use(requestLog(logger, deps.metrics));
  app.use(helmet());

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", readinessRoute(deps.readiness ?? [], logger));
  app.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  app.get("/docs", docsRoute(document));

  const v1 = express.Router();
  v1.use(markRouteBase);
  // Authentication first: the limits count a request against its token, and nothing of a
  // request is read before it is authenticated.
  const limits = new RateLimits(deps.store, deps.rateLimit, logger);
  const web = new WebSessionAuth(deps.store, deps.webSessions);
  v1.use(web.signInRoute(limits));
  v1.use(authenticate(new TokenCache(deps.store, deps.bus, deps.tokenCache), limits, web));
  v1.use(express.json({ limit: deps.bodyLimitBytes ?? 256 * 1024, type: JSON_TYPES, strict: false }));
  v1.use(resumeRequestLog);
  v1.use(web.sessionRoutes());
  v1.use(userRoutes(context));
  v1.use(quotaRoutes(context));
  v1.use(projectRoutes(context));
  v1.use(appRuntimeRoutes(context, deps.clusters, deps.usageSampleSeconds ?? DEFAULT_USAGE_SAMPLE_SECONDS));
  v1.use(portForwardRoutes(context));
  v1.use(claimStatusRoutes(context, deps.datastores, deps.bucketQuotas));
  v1.use(itemRoutes(context));
  v1.use(credentialRoutes(context));
  v1.use(secretEnvRoutes(context));
  v1.use(registryRoutes(context));
  v1.use(domainRoutes(context));
  v1.use(projectTokenRoutes(context));
  v1.use(operationRoutes(context));
  app.use("/v1", v1);
  app.use(webUiRoutes(deps.webDir));

  app.use(notFoundRoute);
  app.use(problemMiddleware(logger));
  return app;
}
