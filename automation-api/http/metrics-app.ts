import express, { type Express } from "express";
import type { Logger } from "../observability/log.js";
import type { ServiceMetrics } from "../observability/metrics.js";

/**
 * The app behind the metrics listener: `/metrics` in Prometheus's text format, nothing else.
 * It listens apart from the API (see README, "Operations") so that the figures are reachable
 * only where the operator binds that port.
 */
export function createMetricsApp(metrics: ServiceMetrics, logger: Logger): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/metrics", async (_req, res) => {
    try {
      const { contentType, body } = await metrics.exposition();
      res.type(contentType).send(body);
    } catch (error) {
      logger.error({ err: error }, "collecting metrics failed");
      res.status(500).type("text/plain").send("collecting metrics failed\n");
    }
  });
  app.use((_req, res) => {
    res.status(404).type("text/plain").send("only /metrics here\n");
  });
  return app;
}
