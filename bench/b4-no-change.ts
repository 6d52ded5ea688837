/**
 * B4: work that changes nothing, on the local zone's simulated nodes, side by side:
 *   request    PUT of an app's spec the project already runs, through the service, until its
 *              operation has ended (the service sees the spec is deployed and runs no engine)
 *   engine up  the same spec through the runner's `up` (policy preview and update), which is
 *              what such a request cost when every request ran the engine
 *   drift      the reconciler's look for drift on that stack (a preview that refreshes every
 *              object), which finds none
 * Each B4_RUNS times (default 5); prints p50, min and max, and the breakdown of the last look
 * for drift.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b4-no-change.ts
 */
import { parseProjectSpec } from "../spec/project.js";
import { simulatedZone } from "../localzone/zone.js";
import { stackPolicyContext } from "../automation-api/domain/policy-context.js";
import { RunBreakdown } from "./run-breakdown.js";
import {
  ensureZone,
  percentile,
  realRunner,
  seconds,
  startService,
  requireServiceFlags,
} from "./service-bench.js";

const RUNS = Number(process.env["B4_RUNS"] ?? 5);
const IMAGE = "nginx:1.27";
const zone = simulatedZone();
const project = `b4-${Date.now().toString(36).slice(-5)}`;

async function main(): Promise<void> {
  requireServiceFlags();
  await ensureZone();
  const service = await startService();
  const runner = await realRunner();
  const breakdown = new RunBreakdown(runner);
  const figures: Record<"request" | "engine up" | "drift", number[]> = {
    request: [],
    "engine up": [],
    drift: [],
  };
  let driftBreakdown: string[] = [];
  try {
    const created = await service.call<{ id: string }>("PUT", `/v1/projects/${project}`, { zone: zone.name });
    await service.settle(created.body.id);
    const deployed = await service.call<{ id: string }>("PUT", `/v1/projects/${project}/apps/web`, {
      image: IMAGE,
    });
    const done = await service.settle(deployed.body.id);
    if (done.status !== "succeeded") throw new Error(`deploying the app: ${done.message}`);

    const owner = await service.store.db
      .selectFrom("users")
      .select("id")
      .where("name", "=", service.user)
      .executeTakeFirstOrThrow();
    const row = await service.store.findProject(owner.id, project);
    if (!row) throw new Error(`project ${project} not found`);
    const spec = parseProjectSpec({ project, zone: zone.name, apps: [{ name: "web", image: IMAGE }] });
    const request = {
      project,
      zone,
      spec,
      policy: await stackPolicyContext(service.store, row, zone, []),
      onEvent: () => {},
    };

    for (let i = 0; i < RUNS; i++) {
      let started = Date.now();
      const again = await service.call<{ id: string; message: string | null }>(
        "PUT",
        `/v1/projects/${project}/apps/web`,
        { image: IMAGE },
      );
      const ended = await service.settle(again.body.id);
      figures.request.push(Date.now() - started);
      if (ended.status !== "succeeded") throw new Error(`request ${i}: ${ended.message}`);

      started = Date.now();
      const up = await runner.up(request);
      figures["engine up"].push(Date.now() - started);
      if (Object.keys(up.changes).some((op) => op !== "same")) {
        throw new Error(`the engine found changes: ${JSON.stringify(up.changes)}`);
      }

      const onEvent = breakdown.reset();
      started = Date.now();
      const drift = await runner.drift({ ...request, onEvent });
      figures.drift.push(Date.now() - started);
      driftBreakdown = breakdown.lines();
      if (drift.length > 0) throw new Error(`drift found: ${JSON.stringify(drift)}`);
      console.error(
        `run ${i + 1}/${RUNS}: ` +
          Object.entries(figures)
            .map(([path, values]) => `${path} ${seconds(values[i] ?? 0)}`)
            .join(", ") +
          ` (request answered: ${ended.message ?? "ran the engine"})`,
      );
    }
  } finally {
    const gone = await service.call<{ id: string }>("DELETE", `/v1/projects/${project}`);
    if (gone.body.id) await service.settle(gone.body.id).catch(() => undefined);
    await service.close();
  }

  console.log(`B4: work that changes nothing, ${RUNS} runs each (local zone, ${new Date().toISOString()})`);
  console.log("path        p50      min      max");
  // Hundredths: the request is answered in milliseconds.
  const fine = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
  for (const [path, values] of Object.entries(figures)) {
    console.log(
      `${path.padEnd(11)} ${fine(percentile(values, 50)).padStart(7)}  ${fine(Math.min(...values)).padStart(7)}  ${fine(Math.max(...values)).padStart(7)}`,
    );
  }
  console.log("where the last look for drift's time went:");
  for (const line of driftBreakdown) console.log(line);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
