import { Router } from "express";
import type { ZoneClusters } from "../../cluster/cluster.js";
import { MetricsUnavailableError } from "../../cluster/namespace-reader.js";
import { appObjects, appStatus, appTarget } from "../../domain/app-runtime.js";
import { appMetrics } from "../../domain/app-metrics.js";
import { NotAvailableInZoneError, RuntimeUnreachableError } from "../../domain/runtime-errors.js";
import { ClusterUnreachableError } from "../../cluster/cluster.js";
import { sendAppLog } from "../app-logs.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { LogQuery } from "../runtime-schemas.js";
import { param, queryOf } from "../validate.js";
import { APP_USAGE_WINDOW_SECONDS, AppUsage } from "../../store/app-usage.js";

/**
 * `/projects/{project}/apps/{app}/{status|logs|metrics|metrics/history}`: the app as it runs. Every read is of
 * the project's own namespace, by the app's labels; any token of the project may read.
 */
export function appRuntimeRoutes(
  context: RouteContext,
  clusters: ZoneClusters,
  usageSampleSeconds: number,
): Router {
  const router = Router();
  const base = "/projects/:project/apps/:app";
  const deps = { store: context.store, zones: context.zones, clusters };

  router.get(`${base}/status`, async (req, res) => {
    const target = await appTarget(deps, principalOf(res), param(req, "project"), param(req, "app"));
    res.json(appStatus(target, await appObjects(target)));
  });

  router.get(`${base}/logs`, async (req, res) => {
    const principal = principalOf(res);
    const query = queryOf(req, LogQuery);
    const target = await appTarget(deps, principal, param(req, "project"), param(req, "app"));
    await sendAppLog(context, principal, target, query, req, res);
  });

  router.get(`${base}/metrics`, async (req, res) => {
    const target = await appTarget(deps, principalOf(res), param(req, "project"), param(req, "app"));
    const objects = await appObjects(target);
    try {
      res.json(appMetrics(target.app, objects.pods, await target.reader.podUsage(target.selector)));
    } catch (error) {
      if (error instanceof MetricsUnavailableError) {
        throw new NotAvailableInZoneError(target.zone.name, "resource metrics (metrics.k8s.io)");
      }
      if (error instanceof ClusterUnreachableError) throw new RuntimeUnreachableError(target.zone.name);
      throw error;
    }
  });

  // From the service's own samples: the metrics API knows only the last scrape.
  router.get(`${base}/metrics/history`, async (req, res) => {
    const target = await appTarget(deps, principalOf(res), param(req, "project"), param(req, "app"));
    const since = new Date(Date.now() - APP_USAGE_WINDOW_SECONDS * 1000);
    const samples = await new AppUsage(context.store.db).since(target.project.id, target.app, since);
    res.json({
      app: target.app,
      intervalSeconds: usageSampleSeconds,
      windowSeconds: APP_USAGE_WINDOW_SECONDS,
      samples: samples.map((sample) => ({ ...sample, at: sample.at.toISOString() })),
    });
  });

  return router;
}
