/**
 * B3: what one project's `up` costs as the zone fills, on the local zone's simulated nodes,
 * through the service with the real engine: the zone is grown to each size in B3_SIZES (default
 * 10,100,1000 projects, each with its namespace, quota and policies; one member holds them
 * all), then B3_PROBES (default 5) new projects are made there one at a time and each gets an
 * app: the p50 of the project's first run and of the app's run at that size, and the ratio to
 * the first size. The projects are deleted at the end (not timed).
 *
 *   npx tsx bench/b3-zone-growth.ts      # PLUSKUBE_WORKERS (default 6) runs grow the zone
 */
import { simulatedZone } from "../localzone/zone.js";
import { ensureZone, percentile, seconds, startService } from "./service-bench.js";

const SIZES = (process.env["B3_SIZES"] ?? "10,100,1000").split(",").map(Number);
const PROBES = Number(process.env["B3_PROBES"] ?? 5);
const WORKERS = Number(process.env["PLUSKUBE_WORKERS"] ?? 6);
const base = simulatedZone();
const largest = Math.max(...SIZES) + PROBES;
const zone = {
  ...base,
  limits: { ...base.limits, projectsPerMember: Math.max(base.limits.projectsPerMember, largest) },
  // Nothing reconciles while the figures are taken: a pass over a full zone would compete with them.
  reconcile: { intervalSeconds: 7 * 86_400, maxBackoffSeconds: 7 * 86_400, reportAfterFailures: 3 },
};
const tag = Date.now().toString(36).slice(-5);

async function main(): Promise<void> {
  await ensureZone();
  const service = await startService({ workers: WORKERS, zone });
  const made: string[] = [];
  const rows: { size: number; project: number; app: number }[] = [];
  const run = async (method: string, path: string, body?: unknown): Promise<number> => {
    const started = Date.now();
    const accepted = await service.call<{ id: string }>(method, path, body);
    if (accepted.status !== 202)
      throw new Error(`${method} ${path}: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const done = await service.settle(accepted.body.id);
    if (done.status !== "succeeded") throw new Error(`${method} ${path}: ${done.message}`);
    return Date.now() - started;
  };
  try {
    for (const size of SIZES) {
      // Grow the zone to `size` projects, many runs at once.
      const missing = Array.from({ length: size - made.length }, (_, i) => `b3-${tag}-${made.length + i}`);
      const started = Date.now();
      for (let i = 0; i < missing.length; i += 50) {
        const batch = missing.slice(i, i + 50);
        await Promise.all(batch.map((name) => run("PUT", `/v1/projects/${name}`, { zone: zone.name })));
        made.push(...batch);
        console.error(`  ${made.length} projects (${seconds(Date.now() - started)})`);
      }
      const project: number[] = [];
      const app: number[] = [];
      for (let i = 0; i < PROBES; i++) {
        const name = `b3-${tag}-probe-${size}-${i}`;
        project.push(await run("PUT", `/v1/projects/${name}`, { zone: zone.name }));
        app.push(await run("PUT", `/v1/projects/${name}/apps/web`, { image: "nginx:1.27" }));
        // Probes leave the zone as they found it, so the next size is exactly that size.
        await run("DELETE", `/v1/projects/${name}`);
      }
      rows.push({ size, project: percentile(project, 50), app: percentile(app, 50) });
      console.error(
        `${size} projects: project ${seconds(percentile(project, 50))}, app ${seconds(percentile(app, 50))}`,
      );
    }
  } finally {
    console.error(`deleting ${made.length} projects`);
    for (let i = 0; i < made.length; i += 50) {
      await Promise.all(
        made.slice(i, i + 50).map((name) => run("DELETE", `/v1/projects/${name}`).catch(() => 0)),
      );
    }
    await service.close();
  }
  const first = rows[0];
  console.log(
    `B3: one project's runs as the zone grows, ${PROBES} probes a size, simulated nodes (local zone, ${new Date().toISOString()})`,
  );
  console.log("projects  new project  vs first  its app  vs first");
  for (const row of rows) {
    console.log(
      `${String(row.size).padStart(8)}  ${seconds(row.project).padStart(11)}  ${(row.project / (first?.project ?? row.project)).toFixed(2).padStart(7)}×  ${seconds(row.app).padStart(7)}  ${(row.app / (first?.app ?? row.app)).toFixed(2).padStart(7)}×`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
