/**
 * B3: what one project's `up` costs as the zone fills, on the local zone's simulated nodes,
 * through the service with the real engine. The zone is grown to the largest of B3_SIZES
 * (default 10,100,1000 projects, each with its namespace, quota and policies), held as members
 * hold them: each of `b3-filler-0`, `b3-filler-1`, ... as many as the zone lets a member have.
 * It is then shrunk to each size in turn, largest first (the last members' projects go first);
 * at each size B3_PROBES (default 5) new projects of another member, `b3-member`, are made one at
 * a time, each gets an app and is deleted: the p50 of the project's first run and of the app's
 * run at that size, and the ratio to the smallest size.
 * Measuring on the way down costs no runs beyond the deletions the zone needs anyway. The
 * smallest size is also measured before the zone grows: its two rows, the first and the last of
 * a run, show how far the machine alone moves the figures, which a ratio between sizes has to
 * beat before it means anything. Each size waits for the machine to settle before its probes.
 * Beside the times, where they went at each size: the engine's CLI commands (p50 a probe, the
 * project's and the app's runs together) and the CPU seconds a probe cost the service's process,
 * each engine process (the CLI, the program and policy pack under `node`, each provider) and each
 * of the zone's processes, so that a size that costs more says why.
 * The zone's real node, when it runs, syncs every network policy of the zone on each change (its
 * kube-router), on the same cores as the engine: `PLUSKUBE_LOCALZONE_NODES=simulated` measures
 * the engine and the control plane without it.
 *
 * The fillers' projects outlive a run that is stopped (the zone takes an hour to fill): the next
 * run starts from them, and puts each again first (at once when it already runs its spec; a run
 * cut short is run again; one whose deletion was under way is let go); `b3-member`'s are deleted.
 * A run that measured every size empties the zone of them at the end, unless B3_KEEP=1; one that
 * failed leaves them.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b3-zone-growth.ts      # PLUSKUBE_WORKERS (default 6) runs at once
 */
import { simulatedZone } from "../localzone/zone.js";
import { localNodesMode } from "../localzone/zone/node/mode.js";
import { DescendantCpu } from "./descendant-cpu.js";
import { cpuByProcess, cpuOwnAndChildren, cpuSpent, machineBusy } from "./resource-sampler.js";
import { RunBreakdown } from "./run-breakdown.js";
import {
  ensureZone,
  percentile,
  seconds,
  startService,
  type BenchMember,
  requireServiceFlags,
} from "./service-bench.js";

const SIZES = (process.env["B3_SIZES"] ?? "10,100,1000")
  .split(",")
  .map(Number)
  .sort((a, b) => a - b);
const PROBES = Number(process.env["B3_PROBES"] ?? 5);
const WORKERS = Number(process.env["PLUSKUBE_WORKERS"] ?? 6);
const KEEP = process.env["B3_KEEP"] === "1";
const QUIET_BUSY = 0.15;
const MEMBER = "b3-member";
const BATCH = 50;
const base = simulatedZone();
const top = Math.max(...SIZES);
const zone = {
  ...base,
  // Nothing reconciles while the figures are taken: a pass over a full zone would compete with them.
  reconcile: { intervalSeconds: 7 * 86_400, maxBackoffSeconds: 7 * 86_400, reportAfterFailures: 3 },
};
const PER_MEMBER = zone.limits.projectsPerMember;
const tag = Date.now().toString(36).slice(-5);

/**
 * Waits until the machine has settled (under QUIET_BUSY of its cores busy over 5 s, or 2 min at
 * most): the filesystem's writeback of hundreds of deletions goes on after the last of them, and
 * would weigh on whichever size is probed next.
 */
async function quiet(): Promise<void> {
  const started = Date.now();
  let busy = 1;
  while (Date.now() - started < 120_000 && (busy = await machineBusy(5_000)) >= QUIET_BUSY);
  console.error(`  settled to ${Math.round(busy * 100)} % busy in ${seconds(Date.now() - started)}`);
}

/** A project of the zone and the member who holds it. */
interface Held {
  readonly member: BenchMember;
  readonly name: string;
}

/** The member's projects, all pages; the link to the next page is the API's own. */
async function memberProjects(service: BenchMember): Promise<string[]> {
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
  requireServiceFlags();
  await ensureZone();
  const service = await startService({ workers: WORKERS, zone, user: MEMBER });
  const fillers = await Promise.all(
    Array.from({ length: Math.ceil(top / PER_MEMBER) }, (_, i) => service.member(`b3-filler-${i}`)),
  );
  /** Waits for an accepted request's operation; throws unless it was done at once or succeeded. */
  const finished = async (
    member: BenchMember,
    what: string,
    accepted: { status: number; body: { id: string } },
  ) => {
    if (accepted.status === 204) return;
    if (accepted.status !== 202)
      throw new Error(`${what}: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const done = await member.settle(accepted.body.id);
    if (done.status !== "succeeded") throw new Error(`${what}: ${done.message}`);
  };
  const run = async (member: BenchMember, method: string, path: string, body?: unknown): Promise<number> => {
    const started = Date.now();
    await finished(member, `${method} ${path}`, await member.call<{ id: string }>(method, path, body));
    return Date.now() - started;
  };
  const remove = ({ member, name }: Held) => run(member, "DELETE", `/v1/projects/${name}`);
  /** Puts a project left by a run before again; false when its deletion was under way, once it is gone. */
  const settle = async ({ member, name }: Held): Promise<boolean> => {
    const path = `/v1/projects/${name}`;
    const put = await member.call<{ id: string; type?: string }>("PUT", path, { zone: zone.name });
    if (put.status === 409 && put.body.type === "urn:pluskube:problem:project-deleting") {
      while ((await member.call("GET", path)).status !== 404) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      return false;
    }
    await finished(member, `PUT ${path}`, put);
    return true;
  };
  const inBatches = async <T>(names: readonly T[], what: string, each: (name: T) => Promise<unknown>) => {
    const started = Date.now();
    for (let i = 0; i < names.length; i += BATCH) {
      await Promise.all(names.slice(i, i + BATCH).map(each));
      console.error(
        `  ${what} ${Math.min(i + BATCH, names.length)}/${names.length} (${seconds(Date.now() - started)})`,
      );
    }
  };
  const breakdown = new RunBreakdown(service.runner);
  const rows: { size: number; label: string; project: number; app: number; cpu: number }[] = [];
  const costs: string[] = [];
  // Left by a run stopped before: the probing member's projects are deleted; the fillers' are
  // settled, at once if they run their spec, else run again.
  const strays = (await memberProjects(service)).map((name) => ({ member: service, name }));
  const left: Held[][] = [];
  for (const member of fillers) left.push((await memberProjects(member)).map((name) => ({ member, name })));
  let made: Held[] = [];
  try {
    await inBatches(strays, "deleted probes left before", remove);
    const deleting = new Set<Held>();
    await inBatches(left.flat(), "settled what a run before left", async (held) => {
      if (!(await settle(held))) deleting.add(held);
    });
    // Member by member, so that shrinking takes the last members' projects first.
    let count = 0;
    const missing: Held[] = [];
    const beyond: Held[] = [];
    for (const [i, member] of fillers.entries()) {
      const settled = (left[i] ?? []).filter((held) => !deleting.has(held));
      const kept = settled.slice(0, Math.max(0, top - count));
      beyond.push(...settled.slice(kept.length));
      const wanted = Math.min(PER_MEMBER, top - count);
      const added = Array.from({ length: Math.max(0, wanted - kept.length) }, (_, j) => ({
        member,
        name: `b3-${tag}-${i}-${j}`,
      }));
      made.push(...kept, ...added);
      missing.push(...added);
      count += kept.length + added.length;
    }
    await inBatches(beyond, "deleted what a run before left beyond the largest size", remove);
    /** Probes at the zone's present size, once the machine has settled from what came before. */
    const measure = async (size: number, label: string) => {
      await quiet();
      const project: number[] = [];
      const app: number[] = [];
      const commands = new Map<string, number[]>();
      let ownCpu = 0;
      let serviceCpu = 0;
      let zoneCpu = new Map<string, number>();
      const engineCpu = new Map<string, number>();
      for (let i = 0; i < PROBES; i++) {
        const name = `b3-${tag}-probe-${rows.length}-${i}`;
        breakdown.reset();
        const cpuBefore = cpuOwnAndChildren();
        const zoneBefore = cpuByProcess();
        const engine = new DescendantCpu();
        engine.start();
        project.push(await run(service, "PUT", `/v1/projects/${name}`, { zone: zone.name }));
        app.push(await run(service, "PUT", `/v1/projects/${name}/apps/web`, { image: "nginx:1.27" }));
        const cpuAfter = cpuOwnAndChildren();
        ownCpu += cpuAfter.own + cpuAfter.children - cpuBefore.own - cpuBefore.children;
        serviceCpu += cpuAfter.own - cpuBefore.own;
        for (const [what, spent] of engine.stop()) engineCpu.set(what, (engineCpu.get(what) ?? 0) + spent);
        for (const [what, spent] of cpuSpent(zoneBefore, cpuByProcess())) {
          if (what !== "node") zoneCpu.set(what, (zoneCpu.get(what) ?? 0) + spent);
        }
        const probe = new Map<string, number>();
        for (const { what, ms } of breakdown.commandTimes()) probe.set(what, (probe.get(what) ?? 0) + ms);
        for (const [what, ms] of probe) commands.set(what, [...(commands.get(what) ?? []), ms]);
        // Probes leave the zone as they found it, so each probe sees exactly `size` projects.
        await remove({ member: service, name });
      }
      rows.push({
        size,
        label,
        project: percentile(project, 50),
        app: percentile(app, 50),
        cpu: ownCpu / PROBES,
      });
      zoneCpu = new Map(
        [...zoneCpu].filter(([, spent]) => spent / PROBES >= 0.05).sort((a, b) => b[1] - a[1]),
      );
      const mean = (spent: number) => `${(spent / PROBES).toFixed(2)} s`;
      costs.push(
        `${label}, a probe's two runs: engine commands (p50) ` +
          [...commands].map(([what, ms]) => `${what} ${seconds(percentile(ms, 50))}`).join(", ") +
          `; CPU (mean) service with its engine ${mean(ownCpu)} (the service's process ${mean(serviceCpu)}; ` +
          "engine processes as sampled: " +
          [...engineCpu]
            .filter(([, spent]) => spent / PROBES >= 0.01)
            .sort((a, b) => b[1] - a[1])
            .map(([what, spent]) => `${what} ${mean(spent)}`)
            .join(", ") +
          "), zone and machine: " +
          [...zoneCpu].map(([what, spent]) => `${what} ${mean(spent)}`).join(", "),
      );
      console.error(costs.at(-1));
      console.error(
        `${label}: project ${seconds(percentile(project, 50))}, app ${seconds(percentile(app, 50))}`,
      );
    };
    const grow = (held: readonly Held[]) =>
      inBatches(held, "grew the zone", ({ member, name }) =>
        run(member, "PUT", `/v1/projects/${name}`, { zone: zone.name }),
      );
    // The smallest size is measured twice, before the zone grows and after it shrinks back: how
    // far its two rows differ is how far the machine alone moves the figures within one run.
    // A run that starts from more than that (kept from a run stopped before) has no such row.
    const smallest = SIZES[0] ?? 0;
    const first = new Set(made.slice(0, smallest));
    const toMake = new Set(missing);
    if (made.every((held) => first.has(held) || toMake.has(held))) {
      await grow(missing.filter((held) => first.has(held)));
      await measure(smallest, `${smallest} projects, before growing`);
    }
    await grow(missing.filter((held) => !first.has(held)));
    for (const size of [...SIZES].reverse()) {
      await inBatches(made.slice(size), `shrank the zone to ${size}`, remove);
      made = made.slice(0, size);
      await measure(size, `${size} projects`);
    }
    // Only a run that measured every size empties the zone: one that failed keeps the hour its
    // projects took, for the next run to start from.
    if (!KEEP) await inBatches(made, "emptied the zone", remove);
  } finally {
    await service.close();
  }
  // By size; the smallest size's row from before the zone grew stays first, the base of the ratios.
  const order = rows.map((row, i) => ({ row, i })).sort((a, b) => a.row.size - b.row.size || a.i - b.i);
  const first = order[0]?.row ?? { project: 1, app: 1, cpu: 1 };
  const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`.padStart(8);
  console.log(
    `B3: one project's runs as the zone grows, ${PROBES} probes a size, the zone's projects held ${PER_MEMBER} a member, simulated nodes, local zone nodes: ${localNodesMode(zone)} (${new Date().toISOString()})`,
  );
  const width = Math.max(...rows.map((row) => row.label.length), 8);
  console.log(
    `${"zone".padEnd(width)}  new project  vs first  its app  vs first  CPU (service, engine)  vs first`,
  );
  for (const { row } of order) {
    console.log(
      `${row.label.padEnd(width)}  ${seconds(row.project).padStart(11)}  ${ratio(row.project, first.project)}  ${seconds(row.app).padStart(7)}  ${ratio(row.app, first.app)}  ${`${row.cpu.toFixed(2)}s`.padStart(21)}  ${ratio(row.cpu, first.cpu)}`,
    );
  }
  for (const line of costs) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
