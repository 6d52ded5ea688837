import pg from "pg";
import { inject } from "vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

let service: TestService;
let metricsUrl: string;
let ana: string;

beforeAll(async () => {
  service = await TestService.start();
  metricsUrl = await service.listenMetrics();
  ana = await service.user("ana");
});
afterAll(async () => {
  await service.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample line, by its name and exact labels as Prometheus prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics", () => {
  it("counts requests by route template and status, never by raw path", async () => {
    await service.project(ana, "counted");
    await service.get("/v1/projects/counted", ana);
    await service.get("/v1/projects/missing-one", ana);
    await service.get("/no/such/route", ana);

    const text = await scrape();

    expect(
      sample(text, 'pluskube_http_requests_total{method="GET",route="/v1/projects/:project",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'pluskube_http_requests_total{method="GET",route="/v1/projects/:project",status="404"}'),
    ).toBe(1);
    expect(sample(text, 'pluskube_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).toContain(
      'pluskube_http_request_duration_seconds_bucket{le="0.5",method="GET",route="/v1/projects/:project",status="200"}',
    );
    expect(text).not.toContain("missing-one");
    expect(text).not.toContain("/no/such/route");
  });

  it("tells run durations by kind and outcome, queue waits and depth, and engine failures", async () => {
    service.runner.refuse.set("refused", "tenant-quota: the stack asks for more than the share");
    try {
      await service.project(ana, "refused");
    } finally {
      service.runner.refuse.clear();
    }

    const text = await scrape();

    expect(
      sample(text, 'pluskube_run_duration_seconds_count{kind="update",outcome="succeeded"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'pluskube_run_duration_seconds_count{kind="update",outcome="failed"}')).toBe(1);
    expect(sample(text, 'pluskube_engine_failures_total{kind="update",cause="policy"}')).toBe(1);
    expect(sample(text, "pluskube_queue_wait_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'pluskube_queue_jobs{state="waiting"}')).toBe(0);
    expect(sample(text, 'pluskube_queue_jobs{state="active"}')).toBe(0);
    expect(sample(text, "pluskube_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("counts the reconciles others report through the metrics module", async () => {
    service.metrics.reconciled("testzone", "repaired");
    service.metrics.reconciled("testzone", "in-sync");
    service.metrics.reconciled("testzone", "in-sync");

    const text = await scrape();

    expect(sample(text, 'pluskube_reconcile_results_total{zone="testzone",result="in-sync"}')).toBe(2);
    expect(sample(text, 'pluskube_reconcile_results_total{zone="testzone",result="repaired"}')).toBe(1);
  });

  it("is not served on the API's port", async () => {
    const response = await service.request("GET", "/metrics");

    expect(response.status).toBe(404);
  });
});

describe("/readyz and /healthz", () => {
  it("says ready when the database and the queue answer", async () => {
    const response = await service.request("GET", "/readyz");

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ready", checks: { database: "ok", queue: "ok" } });
  });

  it("answers 503 naming the database when it refuses connections, while /healthz stays 200", async () => {
    const other = await TestService.start();
    const name = new URL(other.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject("pgAdminUrl") });
    await admin.connect();
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [name],
      );

      const ready = await other.request("GET", "/readyz");
      const health = await other.request("GET", "/healthz");

      expect(ready.status).toBe(503);
      expect(ready.headers.get("content-type")).toContain("application/problem+json");
      expect(ready.body).toMatchObject({
        type: "urn:pluskube:problem:not-ready",
        status: 503,
        detail: expect.stringContaining("database: "),
        checks: { database: expect.not.stringMatching(/^ok$/) },
        requestId: expect.any(String),
      });
      expect(health.status).toBe(200);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
      await other.close();
    }
  });
});
