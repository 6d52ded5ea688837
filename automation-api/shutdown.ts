import type { Server } from "node:http";
import type { Logger } from "./observability/log.js";
import type { Service } from "./service.js";

/** After the grace period and the hand-back, how long a stop may still take before the process exits anyway. */
const STOP_OVERRUN_MS = 30_000;

/** Open requests (event streams, followed logs) get this long once the jobs are drained. */
const REQUEST_DRAIN_MS = 2000;

export interface GracefulStopOptions {
  readonly service: Service;
  /** The API's server; it keeps answering while the runs drain. */
  readonly server: Server;
  /** The metrics listener, when there is one. */
  readonly metricsServer?: Server;
  readonly logger: Logger;
  /** Seconds running runs get to finish before they are handed back. */
  readonly graceSeconds: number;
  /** Runs once the servers are closed, before the connections are (e.g. to stop watching files). */
  readonly beforeClose?: () => void;
}

/**
 * On SIGTERM or SIGINT: stop taking jobs and let running runs finish within the grace period
 * (handing back those that do not) while the API keeps answering and `/readyz` says 503; then
 * close the servers and the connections and exit 0. A second signal changes nothing; a stop
 * that overruns the grace period by STOP_OVERRUN_MS exits 1, leaving the queue's recovery of
 * dead workers to finish what was running.
 */
export function stopGracefullyOnSignals(options: GracefulStopOptions): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    void gracefulStop(options, signal).then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger.error({ err: error }, "the stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function gracefulStop(options: GracefulStopOptions, signal: NodeJS.Signals): Promise<void> {
  const { service, server, metricsServer, logger, graceSeconds } = options;
  logger.info({ signal, graceSeconds }, "pluskube stopping: no new jobs; running runs get the grace period");
  setTimeout(
    () => {
      logger.error("the stop took too long; exiting, the queue recovers what was running");
      process.exit(1);
    },
    graceSeconds * 1000 + STOP_OVERRUN_MS,
  ).unref();
  await service.drain(graceSeconds);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Event streams stay open until their operation ends; do not wait for them.
  setTimeout(() => server.closeAllConnections(), REQUEST_DRAIN_MS).unref();
  metricsServer?.close();
  metricsServer?.closeAllConnections();
  await closed;
  options.beforeClose?.();
  await service.stop();
  logger.info("pluskube stopped");
}
