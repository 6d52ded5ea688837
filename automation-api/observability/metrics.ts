import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** How a run of a stack ended, as its run row records it. */
export type RunOutcome = "succeeded" | "failed" | "interrupted" | "handed-back";

/** Why the engine said no: a policy of the pack, the service itself, or the engine/cluster. */
export type EngineFailureCause = "policy" | "service" | "engine";

/**
 * What one reconcile of a stack found and did:
 * - `in-sync`: no drift, nothing run;
 * - `repaired`: drift found and an `up` put the stack back;
 * - `failed`: the reconcile itself failed (refresh or `up` errors).
 */
export type ReconcileResult = "in-sync" | "repaired" | "failed";

/** Where the figures of a queue come from when a scrape asks for them. */
export interface QueueDepthSource {
  /** Jobs waiting (queued or retrying, including those waiting for their stack) and running. */
  depth(): Promise<{ readonly waiting: number; readonly active: number }>;
}

/** Bucket bounds in seconds: requests are milliseconds to seconds, runs seconds to many minutes. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RUN_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];

/**
 * The service's Prometheus figures, in a registry of its own (several services may live in one
 * process in tests and benchmarks, and none of them should see another's counts).
 *
 * Other parts record through the methods below rather than touching the metric objects, so the
 * names and labels stay in this one file.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<"method" | "route" | "status">;
  private readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly queueWait: Histogram;
  private readonly runDuration: Histogram<"kind" | "outcome">;
  private readonly engineFailures: Counter<"kind" | "cause">;
  private readonly reconciles: Counter<"zone" | "result">;
  private queue: QueueDepthSource | undefined;

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: "pluskube_" });
    this.httpRequests = new Counter({
      name: "pluskube_http_requests_total",
      help: "HTTP requests answered, by method, route template and status code",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "pluskube_http_request_duration_seconds",
      help: "Time from a request's arrival to its response's end, by method, route template and status code",
      labelNames: ["method", "route", "status"],
      buckets: HTTP_BUCKETS,
      registers,
    });
    const depth = new Gauge({
      name: "pluskube_queue_jobs",
      help: "Stack jobs in the queue (all service instances), by state: waiting or active",
      labelNames: ["state"],
      registers,
      collect: async () => {
        if (!this.queue) return;
        const { waiting, active } = await this.queue.depth();
        depth.set({ state: "waiting" }, waiting);
        depth.set({ state: "active" }, active);
      },
    });
    this.queueWait = new Histogram({
      name: "pluskube_queue_wait_seconds",
      help: "Time a stack job waited in the queue before a worker of this instance started its run",
      buckets: RUN_BUCKETS,
      registers,
    });
    this.runDuration = new Histogram({
      name: "pluskube_run_duration_seconds",
      help: "Duration of stack runs of this instance, by kind (update, destroy) and outcome",
      labelNames: ["kind", "outcome"],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.engineFailures = new Counter({
      name: "pluskube_engine_failures_total",
      help: "Runs the engine refused or failed, by kind and cause (policy, service, engine)",
      labelNames: ["kind", "cause"],
      registers,
    });
    this.reconciles = new Counter({
      name: "pluskube_reconcile_results_total",
      help: "Reconciles of stacks against their clusters, by zone and result",
      labelNames: ["zone", "result"],
      registers,
    });
  }

  /** Answers the queue-depth gauge at each scrape (one query, only when scraped). */
  observeQueue(source: QueueDepthSource): void {
    this.queue = source;
  }

  /** One answered request; `route` is the route's template (`/v1/projects/:project`), never the raw path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** A job's wait between entering the queue and its run's start. */
  queueWaited(seconds: number): void {
    this.queueWait.observe(Math.max(0, seconds));
  }

  /** A finished run of a stack. */
  runFinished(kind: "update" | "destroy", outcome: RunOutcome, seconds: number): void {
    this.runDuration.observe({ kind, outcome }, seconds);
  }

  /** A run the engine refused or failed (final for its operations; not a run that died). */
  engineFailed(kind: "update" | "destroy", cause: EngineFailureCause): void {
    this.engineFailures.inc({ kind, cause });
  }

  /**
   * Counts one reconcile of one stack, with the stack's zone and what it found (see
   * ReconcileResult).
   */
  reconciled(zone: string, result: ReconcileResult): void {
    this.reconciles.inc({ zone, result });
  }

  /** The text a scrape gets, and its content type. */
  async exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
