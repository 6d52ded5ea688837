/**
 * B9: one full reconcile pass over 100 projects on the local zone's simulated nodes, through the
 * service's job queue with the real engine: wall time until every project was compared with its
 * cluster, and each comparison's own time (p50/p95/max). Then the same pass after Deployments of
 * some projects were deleted behind the service's back, which those projects repair.
 *
 * The projects are made first (not timed): every one has its tenant namespace, the first
 * B9_APPS of them an app each (the simulated nodes hold the zone's 64 chunks, not 100 apps).
 *
 *   npx tsx bench/b9-reconcile.ts     # B9_PROJECTS=100 B9_APPS=40 B9_DRIFTED=10 PLUSKUBE_WORKERS=2
 */
import { createLogger } from "../automation-api/observability/log.js";
import type { AddressInfo } from "node:net";
import { kubeClusters } from "../automation-api/cluster/kube-clusters.js";
import { staticZones } from "../automation-api/domain/zones.js";
import { localDatabaseUrl } from "../automation-api/local-zone.js";
import { Reconciler } from "../automation-api/jobs/reconciler.js";
import { ReconcileRows } from "../automation-api/store/reconciles.js";
import type {
  Drift,
  Runner,
  RunEvent,
  RunRequest,
  RunResult,
  StackRef,
} from "../automation-api/runner/runner.js";
import { buildService } from "../automation-api/service.js";
import { simulatedZone } from "../localzone/zone.js";
import { localKube } from "../test/integration/helpers/local-zone.js";
import { kubeRequest } from "../localzone/zone/kube.js";
import { ensureZone, memberOf, percentile, realRunner, seconds } from "./service-bench.js";
import { createUserToken } from "./user-token.js";

const PROJECTS = Number(process.env["B9_PROJECTS"] ?? 100);
const APPS = Math.min(PROJECTS, Number(process.env["B9_APPS"] ?? 40));
const DRIFTED = Math.min(APPS, Number(process.env["B9_DRIFTED"] ?? 10));
const WORKERS = Number(process.env["PLUSKUBE_WORKERS"] ?? 2);
const base = simulatedZone();
// One member holds every project; the interval is long so that nothing reconciles until asked.
const zone = {
  ...base,
  limits: { ...base.limits, projectsPerMember: Math.max(base.limits.projectsPerMember, PROJECTS) },
  reconcile: { intervalSeconds: 7 * 86_400, maxBackoffSeconds: 7 * 86_400, reportAfterFailures: 3 },
};
const tag = Date.now().toString(36).slice(-5);

/** Times each comparison of a stack with its cluster. */
class TimedRunner implements Runner {
  readonly drifts: number[] = [];

  constructor(private readonly inner: Runner) {}

  up(request: RunRequest): Promise<RunResult> {
    return this.inner.up(request);
  }

  destroy(request: RunRequest): Promise<RunResult> {
    return this.inner.destroy(request);
  }

  recover(stack: StackRef, onEvent: (event: RunEvent) => void): Promise<void> {
    return this.inner.recover(stack, onEvent);
  }

  async drift(request: RunRequest): Promise<Drift[]> {
    const started = Date.now();
    try {
      return await this.inner.drift(request);
    } finally {
      this.drifts.push(Date.now() - started);
    }
  }
}

async function main(): Promise<void> {
  await ensureZone();
  const logger = createLogger({ level: "warn", destination: process.stderr });
  const runner = new TimedRunner(await realRunner());
  const service = await buildService({
    databaseUrl: await localDatabaseUrl(zone, "pluskube_bench"),
    zones: staticZones([zone]),
    runner,
    clusters: kubeClusters(),
    jobs: { workers: WORKERS, reconcile: false, logger },
    app: { rateLimit: { limit: 100_000 } },
  });
  const server = await service.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { call, settle } = memberOf(url, await createUserToken(service.store, `bench-${tag}`));
  const reconciler = new Reconciler({
    store: service.store,
    zones: staticZones([zone]),
    enqueue: (queries, job) => service.jobs.enqueueReconcile(queries, job),
    wake: () => service.jobs.wake(),
    tickSeconds: 3_600,
    logger,
  });
  const rows = new ReconcileRows(service.store.db);
  const projects = Array.from({ length: PROJECTS }, (_, i) => `b9-${tag}-${i}`);
  const lines: string[] = [];

  /** Makes every project due now and waits until each one's reconcile ended. */
  const pass = async (what: string) => {
    runner.drifts.length = 0;
    await service.store.executor.executeSql("update reconciles set next_at = now()");
    const started = new Date();
    await reconciler.tick();
    const user = await service.store.findUserByName(`bench-${tag}`);
    for (;;) {
      const listed = user ? await rows.listProjectsWithReconciles(user.id) : [];
      const done = listed.flatMap(({ reconcile }) =>
        reconcile && reconcile.lastAt !== null && reconcile.lastAt >= started ? [reconcile] : [],
      );
      if (done.length === listed.length) {
        const total = Date.now() - started.getTime();
        const results = new Map<string, number>();
        for (const row of done)
          results.set(row.lastResult ?? "", (results.get(row.lastResult ?? "") ?? 0) + 1);
        lines.push(
          `${what.padEnd(28)} ${String(listed.length).padStart(8)}  ${seconds(total).padStart(8)}  ` +
            `${seconds(percentile(runner.drifts, 50)).padStart(7)}  ${seconds(percentile(runner.drifts, 95)).padStart(7)}  ` +
            `${seconds(Math.max(...runner.drifts)).padStart(7)}  ${[...results].map(([k, v]) => `${k} ${v}`).join(", ")}`,
        );
        console.error(lines.at(-1));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };

  try {
    const setup = Date.now();
    const accepted = await Promise.all(
      projects.map(async (name, i) => {
        const ids = [
          (await call<{ id: string }>("PUT", `/v1/projects/${name}`, { zone: zone.name })).body.id,
        ];
        if (i < APPS) {
          ids.push(
            (await call<{ id: string }>("PUT", `/v1/projects/${name}/apps/web`, { image: "nginx:1.27" })).body
              .id,
          );
        }
        return ids;
      }),
    );
    const outcomes = await Promise.all(accepted.flat().map(settle));
    const failed = outcomes.filter((outcome) => outcome.status !== "succeeded");
    if (failed.length > 0) throw new Error(`${failed.length} setup operations failed: ${failed[0]?.message}`);
    console.error(`${PROJECTS} projects (${APPS} apps) made in ${seconds(Date.now() - setup)}`);
    await rows.scheduleNew(() => 7 * 86_400);

    await pass("in sync");
    for (const name of projects.slice(0, DRIFTED)) {
      const response = await kubeRequest(
        localKube(),
        "DELETE",
        `/apis/apps/v1/namespaces/${name}/deployments/web`,
      );
      if (response.status !== 200) throw new Error(`deleting ${name}'s Deployment: ${response.status}`);
    }
    await pass(`${DRIFTED} Deployments deleted`);
  } finally {
    const deleted = await Promise.all(
      projects.map((name) => call<{ id: string }>("DELETE", `/v1/projects/${name}`)),
    );
    await Promise.all(
      deleted.filter((response) => response.status === 202).map((response) => settle(response.body.id)),
    );
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await service.stop();
  }
  console.log(
    `B9: a full reconcile pass, ${PROJECTS} projects (${APPS} with an app) on simulated nodes, ${WORKERS} workers (local zone, ${new Date().toISOString()})`,
  );
  console.log("pass                         projects     total  p50 each  p95 each  max each  results");
  for (const line of lines) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
