/**
 * B3: what one project's `up` costs as the zone fills, on the local zone's simulated nodes,
 * through the service with the real engine. The zone is grown to the largest of B3_SIZES
 * (default 10,100,1000 projects, each with its namespace, quota and policies, all of one member,
 * `b3-member`), then shrunk to each size in turn, largest first; at each size B3_PROBES (default
 * 5) new projects are made one at a time, each gets an app and is deleted: the p50 of the
 * project's first run and of the app's run at that size, and the ratio to the smallest size.
 * Measuring on the way down costs no runs beyond the deletions the zone needs anyway.
 * Beside the times, where they went at each size: the engine's CLI commands (p50 a probe, the
 * project's and the app's runs together) and the CPU seconds a probe cost the service with its
 * engine processes and each of the zone's processes, so that a size that costs more says why.
 * The zone's real node, when it runs, syncs every network policy of the zone on each change (its
 * kube-router), on the same cores as the engine: `PLUSKUBE_LOCALZONE_NODES=simulated` measures
 * the engine and the control plane without it.
 *
 * The member's projects outlive a run that is stopped (the zone takes an hour to fill): the next
 * run starts from them, and puts each again first (at once when it already runs its spec; a run
 * cut short is run again; one whose deletion was under way is let go). A run that measured every
 * size empties the zone of them at the end, unless B3_KEEP=1; one that failed leaves them.
 *
 *   npx tsx bench/b3-zone-growth.ts      # PLUSKUBE_WORKERS (default 6) runs at once
 */
import { simulatedZone } from "../localzone/zone.js";
import { localNodesMode } from "../localzone/zone/node/mode.js";
import { cpuByCommand, cpuSeconds, cpuSpent } from "./resource-sampler.js";
import { RunBreakdown } from "./run-breakdown.js";
import { ensureZone, percentile, seconds, startService, type BenchService } from "./service-bench.js";

const SIZES = (process.env["B3_SIZES"] ?? "10,100,1000")
  .split(",")
  .map(Number)
  .sort((a, b) => a - b);
const PROBES = Number(process.env["B3_PROBES"] ?? 5);
const WORKERS = Number(process.env["PLUSKUBE_WORKERS"] ?? 6);
const KEEP = process.env["B3_KEEP"] === "1";
const MEMBER = "b3-member";
const BATCH = 50;
const base = simulatedZone();
const top = Math.max(...SIZES);
const largest = top + PROBES;
const zone = {
  ...base,
  limits: { ...base.limits, projectsPerMember: Math.max(base.limits.projectsPerMember, largest) },
  // Nothing reconciles while the figures are taken: a pass over a full zone would compete with them.
  reconcile: { intervalSeconds: 7 * 86_400, maxBackoffSeconds: 7 * 86_400, reportAfterFailures: 3 },
};
const tag = Date.now().toString(36).slice(-5);

/** The member's projects, all pages; the link to the next page is the API's own. */
async function memberProjects(service: BenchService): Promise<string[]> {
  const names: string[] = [];
  for (let path: string | null = "/v1/projects?limit=200"; path;) {
    const page: { status: number; body: { items: { name: string }[]; next: string | null } } =
      await service.call("GET", path);
    if (page.status !== 200) throw new Error(`GET ${path}: ${page.status}`);
    names.push(...page.body.items.map((item) => item.name));
    path = page.body.next;
  }
  return names;
}

async function main(): Promise<void> {
  await ensureZone();
  const service = await startService({ workers: WORKERS, zone, user: MEMBER });
  /** Waits for an accepted request's operation; throws unless it was done at once or succeeded. */
  const finished = async (what: string, accepted: { status: number; body: { id: string } }) => {
    if (accepted.status === 204) return;
    if (accepted.status !== 202)
      throw new Error(`${what}: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const done = await service.settle(accepted.body.id);
    if (done.status !== "succeeded") throw new Error(`${what}: ${done.message}`);
  };
  const run = async (method: string, path: string, body?: unknown): Promise<number> => {
    const started = Date.now();
    await finished(`${method} ${path}`, await service.call<{ id: string }>(method, path, body));
    return Date.now() - started;
  };
  /** Puts a project left by a run before again; false when its deletion was under way, once it is gone. */
  const settle = async (name: string): Promise<boolean> => {
    const path = `/v1/projects/${name}`;
    const put = await service.call<{ id: string; type?: string }>("PUT", path, { zone: zone.name });
    if (put.status === 409 && put.body.type === "urn:pluskube:problem:project-deleting") {
      while ((await service.call("GET", path)).status !== 404) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      return false;
    }
    await finished(`PUT ${path}`, put);
    return true;
  };
  const inBatches = async (
    names: readonly string[],
    what: string,
    each: (name: string) => Promise<unknown>,
  ) => {
    const started = Date.now();
    for (let i = 0; i < names.length; i += BATCH) {
      await Promise.all(names.slice(i, i + BATCH).map(each));
      console.error(
        `  ${what} ${Math.min(i + BATCH, names.length)}/${names.length} (${seconds(Date.now() - started)})`,
      );
    }
  };
  const breakdown = new RunBreakdown(service.runner);
  const rows: { size: number; project: number; app: number; cpu: number }[] = [];
  const costs: string[] = [];
  const before = await memberProjects(service);
  let made = before.filter((name) => !name.includes("-probe-"));
  try {
    // Left by a run stopped before: a probe is deleted; the others are settled, at once if they
    // run their spec, else run again.
    const strays = before.filter((name) => name.includes("-probe-"));
    await inBatches(strays, "deleted probes left before", (name) => run("DELETE", `/v1/projects/${name}`));
    const deleting = new Set<string>();
    await inBatches(made, "settled what a run before left", async (name) => {
      if (!(await settle(name))) deleting.add(name);
    });
    made = made.filter((name) => !deleting.has(name));
    const missing = Array.from({ length: Math.max(0, top - made.length) }, (_, i) => `b3-${tag}-${i}`);
    await inBatches(missing, "grew the zone", (name) =>
      run("PUT", `/v1/projects/${name}`, { zone: zone.name }),
    );
    made = [...made, ...missing];
    for (const size of [...SIZES].reverse()) {
      const surplus = made.slice(size);
      await inBatches(surplus, `shrank the zone to ${size}`, (name) => run("DELETE", `/v1/projects/${name}`));
      made = made.slice(0, size);
      const project: number[] = [];
      const app: number[] = [];
      const commands = new Map<string, number[]>();
      let ownCpu = 0;
      let zoneCpu = new Map<string, number>();
      for (let i = 0; i < PROBES; i++) {
        const name = `b3-${tag}-probe-${size}-${i}`;
        breakdown.reset();
        const cpuBefore = cpuSeconds();
        const zoneBefore = cpuByCommand();
        project.push(await run("PUT", `/v1/projects/${name}`, { zone: zone.name }));
        app.push(await run("PUT", `/v1/projects/${name}/apps/web`, { image: "nginx:1.27" }));
        ownCpu += cpuSeconds() - cpuBefore;
        for (const [what, spent] of cpuSpent(zoneBefore, cpuByCommand())) {
          if (what !== "node") zoneCpu.set(what, (zoneCpu.get(what) ?? 0) + spent);
        }
        const probe = new Map<string, number>();
        for (const { what, ms } of breakdown.commandTimes()) probe.set(what, (probe.get(what) ?? 0) + ms);
        for (const [what, ms] of probe) commands.set(what, [...(commands.get(what) ?? []), ms]);
        // Probes leave the zone as they found it, so each probe sees exactly `size` projects.
        await run("DELETE", `/v1/projects/${name}`);
      }
      rows.push({ size, project: percentile(project, 50), app: percentile(app, 50), cpu: ownCpu / PROBES });
      zoneCpu = new Map(
        [...zoneCpu].filter(([, spent]) => spent / PROBES >= 0.05).sort((a, b) => b[1] - a[1]),
      );
      costs.push(
        `${size} projects, a probe's two runs: engine commands (p50) ` +
          [...commands].map(([what, ms]) => `${what} ${seconds(percentile(ms, 50))}`).join(", ") +
          `; CPU (mean) service with its engine ${(ownCpu / PROBES).toFixed(2)} s, ` +
          [...zoneCpu].map(([what, spent]) => `${what} ${(spent / PROBES).toFixed(2)} s`).join(", "),
      );
      console.error(costs.at(-1));
      console.error(
        `${size} projects: project ${seconds(percentile(project, 50))}, app ${seconds(percentile(app, 50))}`,
      );
    }
    // Only a run that measured every size empties the zone: one that failed keeps the hour its
    // projects took, for the next run to start from.
    if (!KEEP) await inBatches(made, "emptied the zone", (name) => run("DELETE", `/v1/projects/${name}`));
  } finally {
    await service.close();
  }
  rows.sort((a, b) => a.size - b.size);
  const first = rows[0] ?? { project: 1, app: 1, cpu: 1 };
  const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`.padStart(8);
  console.log(
    `B3: one project's runs as the zone grows, ${PROBES} probes a size, simulated nodes, local zone nodes: ${localNodesMode(zone)} (${new Date().toISOString()})`,
  );
  console.log("projects  new project  vs first  its app  vs first  CPU (service, engine)  vs first");
  for (const row of rows) {
    console.log(
      `${String(row.size).padStart(8)}  ${seconds(row.project).padStart(11)}  ${ratio(row.project, first.project)}  ${seconds(row.app).padStart(7)}  ${ratio(row.app, first.app)}  ${`${row.cpu.toFixed(2)}s`.padStart(21)}  ${ratio(row.cpu, first.cpu)}`,
    );
  }
  for (const line of costs.reverse()) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
