/**
 * B2: 1, 4 and 16 apps in as many projects at once through the service on the local zone:
 * total time until every operation ended, p50/p95 of each request's own latency, and errors.
 * Projects are created first (not timed); then one app per project is requested at once.
 * Each size also prints its throughput against the first size's one-at-a-time pace, the CPU
 * seconds the service and its engine processes spent per app, how busy the machine's cores
 * were (the local zone's control plane included), and the peak memory of the service and of
 * its engine processes together (resource-sampler.ts).
 *
 * B2_CLAIM=namespace times the projects' creation (their namespaces) instead, for zones that
 * cannot run apps yet.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b2-parallel.ts            # PLUSKUBE_WORKERS (default 2) stacks run side by side
 */
import { simulatedZone } from "../localzone/zone.js";
import { mebibytes, ResourceSampler } from "./resource-sampler.js";
import { ensureZone, percentile, seconds, startService, requireServiceFlags } from "./service-bench.js";

const SIZES = (process.env["B2_SIZES"] ?? "1,4,16").split(",").map(Number);
const WORKERS = Number(process.env["PLUSKUBE_WORKERS"] ?? 2);
const CLAIM = process.env["B2_CLAIM"] === "namespace" ? "namespace" : "app";
const zone = simulatedZone();
const tag = Date.now().toString(36).slice(-5);

async function main(): Promise<void> {
  requireServiceFlags();
  await ensureZone();
  const service = await startService({ workers: WORKERS });
  const rows: string[] = [];
  let onePace: number | undefined;
  try {
    for (const size of SIZES) {
      const projects = Array.from({ length: size }, (_, i) => `b2-${tag}-${size}-${i}`);
      const request = (name: string) =>
        CLAIM === "app"
          ? service.call<{ id: string }>("PUT", `/v1/projects/${name}/apps/web`, { image: "nginx:1.27" })
          : service.call<{ id: string }>("PUT", `/v1/projects/${name}`, { zone: zone.name });
      if (CLAIM === "app") {
        const created = await Promise.all(
          projects.map((name) =>
            service.call<{ id: string }>("PUT", `/v1/projects/${name}`, { zone: zone.name }),
          ),
        );
        await Promise.all(created.map((response) => service.settle(response.body.id)));
      }

      const sampler = new ResourceSampler();
      sampler.start();
      const started = Date.now();
      const latencies: number[] = [];
      let errors = 0;
      await Promise.all(
        projects.map(async (name) => {
          const sent = Date.now();
          const accepted = await request(name);
          if (accepted.status !== 202) {
            errors++;
            return;
          }
          const done = await service.settle(accepted.body.id);
          if (done.status !== "succeeded") {
            errors++;
            console.error(`${name}: ${done.message}`);
          }
          latencies.push(Date.now() - sent);
        }),
      );
      const total = Date.now() - started;
      const used = sampler.stop();
      onePace ??= total / size;
      const speedup = (onePace * size) / total;
      rows.push(
        `${String(size).padStart(5)}  ${seconds(total).padStart(8)}  ${seconds(percentile(latencies, 50)).padStart(7)}  ${seconds(percentile(latencies, 95)).padStart(7)}  ${String(errors).padStart(6)}` +
          `  ${speedup.toFixed(2).padStart(7)}×  ${(used.cpuSeconds / size).toFixed(1).padStart(7)}  ${`${Math.round(used.machineBusy * 100)} %`.padStart(6)}` +
          `  ${mebibytes(used.servicePeakRss).padStart(9)}  ${mebibytes(used.enginePeakRss).padStart(9)}`,
      );
      console.error(`${size} apps: ${seconds(total)}`);

      const deleted = await Promise.all(
        projects.map((name) => service.call<{ id: string }>("DELETE", `/v1/projects/${name}`)),
      );
      await Promise.all(deleted.map((response) => service.settle(response.body.id)));
    }
  } finally {
    await service.close();
  }
  const what = CLAIM === "app" ? "apps in as many projects" : "new projects (namespaces)";
  console.log(`B2: ${what} at once, ${WORKERS} workers (local zone, ${new Date().toISOString()})`);
  console.log(
    CLAIM === "app"
      ? " apps     total      p50      p95  errors  vs one  CPU-s/app  busy  service  engines"
      : "projects  total      p50      p95  errors  vs one  CPU-s/each  busy  service  engines",
  );
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
