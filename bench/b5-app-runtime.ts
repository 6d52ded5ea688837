/**
 * B5: latency of an app's status on the local zone: GET /v1/projects/{p}/apps/web/status of a
 * deployed app with B5_REPLICAS replicas (default 2), B5_REQUESTS times (default 200), one after
 * another and then B5_CONCURRENCY (default 8) at a time; prints p50 and p99 of each. Each status
 * reads the app's Deployments, ReplicaSets, pods and the namespace's events from the API server.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b5-app-runtime.ts
 */
import { simulatedZone } from "../localzone/zone.js";
import {
  ensureZone,
  percentile,
  startService,
  type BenchService,
  requireServiceFlags,
} from "./service-bench.js";

const REQUESTS = Number(process.env["B5_REQUESTS"] ?? 200);
const CONCURRENCY = Number(process.env["B5_CONCURRENCY"] ?? 8);
const REPLICAS = Number(process.env["B5_REPLICAS"] ?? 2);
const zone = simulatedZone();
const project = `b5-${Date.now().toString(36).slice(-5)}`;

function ms(value: number): string {
  return `${value.toFixed(1)}ms`.padStart(9);
}

/** Latencies of `count` status reads, `parallel` at a time. */
async function statusLatencies(service: BenchService, count: number, parallel: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const sent = performance.now();
      const response = await service.call("GET", `/v1/projects/${project}/apps/web/status`);
      if (response.status !== 200)
        throw new Error(`status: ${response.status} ${JSON.stringify(response.body)}`);
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return latencies;
}

async function main(): Promise<void> {
  requireServiceFlags();
  await ensureZone();
  const service = await startService();
  const rows: string[] = [];
  try {
    const created = await service.call<{ id: string }>("PUT", `/v1/projects/${project}`, { zone: zone.name });
    await service.settle(created.body.id);
    const app = await service.call<{ id: string }>("PUT", `/v1/projects/${project}/apps/web`, {
      image: "nginx:1.27",
      replicas: REPLICAS,
    });
    const deployed = await service.settle(app.body.id);
    if (deployed.status !== "succeeded") throw new Error(`deploying the app: ${deployed.message}`);

    await statusLatencies(service, 10, 1); // warm-up: connections, the zone's client
    for (const parallel of [1, CONCURRENCY]) {
      const latencies = await statusLatencies(service, REQUESTS, parallel);
      rows.push(
        `${String(parallel).padStart(11)}  ${String(REQUESTS).padStart(8)}  ${ms(percentile(latencies, 50))}  ${ms(percentile(latencies, 99))}`,
      );
    }
  } finally {
    const deleted = await service.call<{ id: string }>("DELETE", `/v1/projects/${project}`);
    if (deleted.status === 202) await service.settle(deleted.body.id);
    await service.close();
  }
  console.log(`B5: app status, ${REPLICAS} replicas (local zone, ${new Date().toISOString()})`);
  console.log("concurrency  requests        p50        p99");
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
