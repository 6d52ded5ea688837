import { randomUUID } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { withLogContext, type Logger } from "../observability/log.js";
import type { ServiceMetrics } from "../observability/metrics.js";

export const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * An incoming request id is kept only when it looks like one (a UUID, a trace id, a short
 * token of letters, digits and `._:-`): anything else could forge log lines or flood them.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Paths probes and scrapers hit every few seconds: logged at debug so they do not drown the rest. */
const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);

/** The request id given to this request (in `res.locals`, set by `requestLog`). */
export function requestIdOf(res: Response): string | undefined {
  const id: unknown = res.locals["requestId"];
  return typeof id === "string" ? id : undefined;
}

/**
 * First middleware of the app: gives the request an id (the caller's `X-Request-Id` when sane,
 * a new UUID otherwise), returns it in the response header, runs the rest of the request with
 * the id on every log line, and when the response ends logs one line and counts it by route
 * template. Never logs headers or the query string (tokens could be in either).
 */
export function requestLog(logger: Logger, metrics: ServiceMetrics | undefined): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals["requestId"] = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = process.hrtime.bigint();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req, res);
      const status = res.headersSent ? res.statusCode : 499;
      metrics?.httpRequest(req.method, route, status, seconds);
      // The response's events fire outside the request's own context: give the line its id here.
      withLogContext({ requestId }, () => {
        const line = {
          method: req.method,
          route,
          path: req.path,
          status,
          durationMs: Math.round(seconds * 1000),
        };
        if (status >= 500) logger.error(line, "request failed");
        else if (PROBES.has(req.path)) logger.debug(line, "request");
        else logger.info(line, "request");
      });
    };
    res.once("finish", done);
    res.once("close", done);
    withLogContext({ requestId }, () => next());
  };
}

/**
 * Puts the request back in its log context. Body parsing resumes the chain from the socket's
 * events, outside the context `requestLog` opened; mounted right after the body parser.
 */
export const resumeRequestLog: RequestHandler = (_req, res, next) => {
  const requestId = requestIdOf(res);
  if (requestId) withLogContext({ requestId }, () => next());
  else next();
};

/**
 * Marks the mount path of a router (`/v1`), so the route template survives an error that leaves
 * the router before the response ends.
 */
export const markRouteBase: RequestHandler = (req, res, next) => {
  res.locals["routeBase"] = req.baseUrl;
  next();
};

/** `/v1/projects/:project`, from the route that matched; `unmatched` for none (the 404s). */
function routeTemplate(req: Request, res: Response): string {
  const route: unknown = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof route !== "string") return "unmatched";
  const base: unknown = res.locals["routeBase"];
  return `${typeof base === "string" ? base : ""}${route}`;
}
