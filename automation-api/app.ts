import express, { type Express } from "express";
import helmet from "helmet";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { ProjectRequests, type JobQueue } from "./domain/project-requests.js";
import { hashToken } from "./domain/tokens.js";
import type { ZoneCatalog } from "./domain/zones.js";
import type { ZoneClusters } from "./cluster/cluster.js";
import { authenticate } from "./http/auth.js";
import type { RouteContext } from "./http/context.js";
import { docsRoute } from "./http/docs.js";
import { notFoundRoute, problemMiddleware, problemType, sendProblem } from "./http/problem.js";
import { itemRoutes } from "./http/routes/items.js";
import { operationRoutes } from "./http/routes/operations.js";
import { projectTokenRoutes } from "./http/routes/project-tokens.js";
import { projectRoutes } from "./http/routes/projects.js";
import { quotaRoutes } from "./http/routes/quota.js";
import { userRoutes } from "./http/routes/users.js";
import type { EventBus } from "./jobs/event-bus.js";
import { openApiDocument } from "./openapi.js";
import type { Store } from "./store/store.js";

export interface AppDeps {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  /** The zones' clusters, read to decide requests (never written: stacks do that). */
  readonly clusters: ZoneClusters;
  readonly jobs: JobQueue;
  readonly bus: EventBus;
  /** Requests per token (or per address without one) per window. Default 600 a minute. */
  readonly rateLimit?: { readonly windowMs?: number; readonly limit?: number };
  /** Largest accepted request body. Default 256 KiB. */
  readonly bodyLimitBytes?: number;
  /** Event streams re-read the store this often without a notification. Default 2 s. */
  readonly streamPollMs?: number;
  /** Default 15 s. */
  readonly streamHeartbeatMs?: number;
  readonly log?: (line: string) => void;
}

const JSON_TYPES = ["application/json", "application/merge-patch+json", "application/*+json"];

/** Builds the service's express app; it never listens (only `main.ts` does). */
export function createApp(deps: AppDeps): Express {
  const log = deps.log ?? ((line: string) => console.error(line));
  const context: RouteContext = {
    store: deps.store,
    zones: deps.zones,
    jobs: deps.jobs,
    bus: deps.bus,
    requests: new ProjectRequests(deps.store, deps.jobs, deps.zones, deps.clusters),
    streamPollMs: deps.streamPollMs ?? 2000,
    streamHeartbeatMs: deps.streamHeartbeatMs ?? 15_000,
  };
  const document = openApiDocument();

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(helmet());

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  app.get("/docs", docsRoute(document));

  const v1 = express.Router();
  v1.use(
    rateLimit({
      windowMs: deps.rateLimit?.windowMs ?? 60_000,
      limit: deps.rateLimit?.limit ?? 600,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      // Per token: the hash of the presented credentials, or the address when there are none.
      keyGenerator: (req) => {
        const header = req.get("authorization");
        return header ? `token:${hashToken(header)}` : `ip:${ipKeyGenerator(req.ip ?? "")}`;
      },
      handler: (req, res) => {
        sendProblem(res, {
          type: problemType("rate-limited"),
          title: "Too Many Requests",
          status: 429,
          detail:
            "too many requests with this token; wait before retrying (see the RateLimit and Retry-After headers)",
          instance: req.originalUrl,
        });
      },
    }),
  );
  v1.use(express.json({ limit: deps.bodyLimitBytes ?? 256 * 1024, type: JSON_TYPES, strict: false }));
  v1.use(authenticate(deps.store));
  v1.use(userRoutes(context));
  v1.use(quotaRoutes(context));
  v1.use(projectRoutes(context));
  v1.use(itemRoutes(context));
  v1.use(projectTokenRoutes(context));
  v1.use(operationRoutes(context));
  app.use("/v1", v1);

  app.use(notFoundRoute);
  app.use(problemMiddleware(log));
  return app;
}
