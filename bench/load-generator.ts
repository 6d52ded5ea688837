/**
 * An open-loop load generator for B6, run as its own process so that it does not share the
 * service's event loop: requests leave on a fixed schedule whatever the answers' pace, and each
 * latency counts from the scheduled send time, so a stalled service cannot hide its queue
 * (coordinated omission). Reads its plan as JSON from argv[2]; writes the latencies as JSON.
 */
import { Agent, request } from "node:http";

interface Plan {
  readonly url: string;
  readonly token: string;
  /** Paths by route name; requests cycle through the routes in order. */
  readonly routes: Record<string, readonly string[]>;
  readonly ratePerSecond: number;
  readonly seconds: number;
}

const plan = JSON.parse(process.argv[2] ?? "{}") as Plan;
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const names = Object.keys(plan.routes);
const latencies: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const failures: Record<string, number> = {};
/** Each answered request's scheduled send, in ms from the start, and its latency: when the slow ones came. */
const timeline: [number, number][] = [];

function send(route: string, path: string, scheduled: number, start: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      `${plan.url}${path}`,
      { agent, headers: { authorization: `Bearer ${plan.token}` } },
      (res) => {
        res.resume();
        res.on("end", () => {
          const latency = performance.now() - scheduled;
          timeline.push([Math.round(scheduled - start), latency]);
          if (res.statusCode === 200) latencies[route]?.push(latency);
          else failures[`${route} ${res.statusCode}`] = (failures[`${route} ${res.statusCode}`] ?? 0) + 1;
          resolve();
        });
      },
    );
    req.on("error", (error) => {
      failures[`${route} ${error.message}`] = (failures[`${route} ${error.message}`] ?? 0) + 1;
      resolve();
    });
    req.end();
  });
}

async function main(): Promise<void> {
  const total = Math.round(plan.ratePerSecond * plan.seconds);
  const interval = 1000 / plan.ratePerSecond;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const route = names[i % names.length] as string;
    const paths = plan.routes[route] as readonly string[];
    pending.push(send(route, paths[Math.floor(i / names.length) % paths.length] as string, scheduled, start));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  process.stdout.write(
    JSON.stringify({
      latencies,
      failures,
      elapsed,
      sent: total,
      timeline,
      startedAt: performance.timeOrigin + start,
    }),
  );
  agent.destroy();
}

await main();
