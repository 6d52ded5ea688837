/**
 * B8: how long a database over its size limit goes on taking writes. A member's database (made
 * by the real engine through the service) with a 0.01 GB limit is filled past it B8_TRIALS times
 * (default 5); each time a new connection writes one row every 50 ms until a write is refused,
 * and after DELETE and VACUUM until one is accepted again. The service measures sizes every
 * B8_CHECK_SECONDS (default 10; zones default to 60), so the delay is at most that interval plus
 * one pass. Prints each delay, their mean and their maximum.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b8-database-limit.ts
 */
import pg from "pg";
import { simulatedZone } from "../localzone/zone.js";
import type { ZoneSpec } from "../spec/zone.js";
import { ensureZone, percentile, seconds, startService, requireServiceFlags } from "./service-bench.js";

const TRIALS = Number(process.env["B8_TRIALS"] ?? 5);
const CHECK_SECONDS = Number(process.env["B8_CHECK_SECONDS"] ?? 10);
const LIMIT_GB = 0.01;
const base = simulatedZone();
const zone: ZoneSpec = {
  ...base,
  limits: { ...base.limits, smallestDatabaseGB: 0.001 },
  postgres: { ...base.postgres, sizeCheckSeconds: CHECK_SECONDS },
};
const project = `b8-${Date.now().toString(36).slice(-5)}`;

/** Runs SQL on a new connection; the SQLSTATE it failed with, or "ok". */
async function run(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Milliseconds until a one-row insert answers `wanted` ("ok" or a SQLSTATE). */
async function delayUntil(url: string, wanted: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const outcome = await run(url, "insert into notes (body) values ('probe')");
    if (outcome === wanted) return performance.now() - started;
    if (outcome !== "ok" && outcome !== "53100") throw new Error(`probe failed: ${outcome}`);
    if (performance.now() - started > (CHECK_SECONDS + 60) * 1000) throw new Error(`no ${wanted} in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function row(name: string, delays: readonly number[]): string {
  const mean = delays.reduce((sum, value) => sum + value, 0) / delays.length;
  const each = delays.map((value) => seconds(value)).join(" ");
  return `${name.padEnd(10)} ${seconds(mean).padStart(7)} ${seconds(percentile(delays, 100)).padStart(7)}   ${each}`;
}

async function main(): Promise<void> {
  requireServiceFlags();
  await ensureZone();
  const service = await startService({ zone });
  const refusals: number[] = [];
  const restorations: number[] = [];
  try {
    const settle = async (method: string, path: string, body: unknown) => {
      const response = await service.call<{ id: string }>(method, path, body);
      if (response.status !== 202) throw new Error(`${method} ${path}: ${JSON.stringify(response.body)}`);
      const done = await service.settle(response.body.id);
      if (done.status !== "succeeded") throw new Error(`${method} ${path}: ${done.message}`);
    };
    await settle("PUT", `/v1/projects/${project}`, { zone: zone.name });
    await settle("PUT", `/v1/projects/${project}/databases/main`, { sizeGB: LIMIT_GB });
    const revealed = await service.call<{ variables: Record<string, string> }>(
      "POST",
      `/v1/projects/${project}/databases/main/credentials`,
      {},
    );
    const url = new URL(revealed.body.variables["DATABASE_URL"] as string);
    url.hostname = zone.postgres.host;
    url.port = String(zone.postgres.port);
    const member = url.toString();
    if ((await run(member, "create table notes (id serial primary key, body text)")) !== "ok") {
      throw new Error("could not create the table");
    }

    for (let trial = 0; trial < TRIALS; trial += 1) {
      // Start at a random point of the interval, as a member's writes would.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * CHECK_SECONDS * 1000));
      const fill = "insert into notes (body) select repeat('x', 1000) from generate_series(1, 4000)";
      if ((await run(member, fill)) !== "ok") throw new Error("the fill was refused");
      refusals.push(await delayUntil(member, "53100"));
      await run(member, "delete from notes");
      await run(member, "vacuum notes");
      restorations.push(await delayUntil(member, "ok"));
      console.error(`trial ${trial + 1}: refused after ${seconds(refusals.at(-1) ?? 0)}`);
    }
  } finally {
    const deleted = await service.call<{ id: string }>("DELETE", `/v1/projects/${project}`);
    if (deleted.status === 202) await service.settle(deleted.body.id);
    await service.close();
  }
  console.log(
    `B8: database size limit, ${TRIALS} trials, sizes measured every ${CHECK_SECONDS} s (local zone, ${new Date().toISOString()})`,
  );
  console.log("delay         mean     max   each");
  console.log(row("refused", refusals));
  console.log(row("restored", restorations));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
