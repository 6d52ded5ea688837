/**
 * B7: what a member waits for when their app runs on the local zone's real node. One echo app
 * (the zone's own image) is deployed through the service; then, one request after another:
 * its status (B7_REQUESTS times, default 100), the last 1,000 lines of its log (after the app
 * wrote 1,500; B7_LOG_REQUESTS, default 30), and HTTP round trips over one port-forward tunnel
 * (B7_TUNNEL_REQUESTS, default 200). Prints p50 and p99 of each, and how long the tunnel took
 * to open.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b7-app-runtime-real.ts
 */
import type { WebSocket } from "ws";
import { localImage } from "../localzone/images.js";
import { localZone } from "../localzone/zone.js";
import { openTunnel } from "../test/service/app-runtime/tunnel-client.js";
import {
  ensureZone,
  percentile,
  startService,
  type BenchService,
  requireServiceFlags,
} from "./service-bench.js";

const REQUESTS = Number(process.env["B7_REQUESTS"] ?? 100);
const LOG_REQUESTS = Number(process.env["B7_LOG_REQUESTS"] ?? 30);
const TUNNEL_REQUESTS = Number(process.env["B7_TUNNEL_REQUESTS"] ?? 200);
const project = `b7-${Date.now().toString(36).slice(-5)}`;
const app = `/v1/projects/${project}/apps/web`;

function ms(value: number): string {
  return `${value.toFixed(1)}ms`.padStart(9);
}

/** Milliseconds of each of `count` calls of `call`, one after another. */
async function timed(count: number, call: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times;
}

/** Sends one HTTP/1.1 request over the tunnel and waits for its whole JSON answer. */
function httpOver(ws: WebSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const timer = setTimeout(() => reject(new Error(`no answer to ${path} over the tunnel`)), 30_000);
    const onMessage = (data: unknown) => {
      received += (data as Buffer).toString("utf8");
      const body = received.split("\r\n\r\n")[1];
      const length = Number(/content-length: *(\d+)/i.exec(received)?.[1] ?? NaN);
      if (body !== undefined && Buffer.byteLength(body) >= length) {
        clearTimeout(timer);
        ws.off("message", onMessage);
        resolve(received);
      }
    };
    ws.on("message", onMessage);
    ws.send(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: tunnel\r\nConnection: keep-alive\r\n\r\n`));
  });
}

async function deploy(service: BenchService): Promise<void> {
  const created = await service.call<{ id: string }>("PUT", `/v1/projects/${project}`, { zone: "local" });
  await service.settle(created.body.id);
  const put = await service.call<{ id: string }>("PUT", app, {
    image: localImage("echo").ref,
    probe: { path: "/healthz" },
  });
  const deployed = await service.settle(put.body.id);
  if (deployed.status !== "succeeded") throw new Error(`deploying the app: ${deployed.message}`);
  for (;;) {
    const status = await service.call<{ replicas: { ready?: number } }>("GET", `${app}/status`);
    if ((status.body.replicas.ready ?? 0) >= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  requireServiceFlags();
  await ensureZone();
  const service = await startService({ zone: localZone() });
  const rows: string[] = [];
  const row = (what: string, times: number[]) =>
    rows.push(
      `${what.padEnd(34)} ${String(times.length).padStart(8)}  ${ms(percentile(times, 50))}  ${ms(percentile(times, 99))}`,
    );
  let opened = 0;
  try {
    await deploy(service);

    const status = await timed(REQUESTS, async () => {
      const response = await service.call("GET", `${app}/status`);
      if (response.status !== 200) throw new Error(`status: ${response.status}`);
    });
    row("status", status.slice(5));

    const started = performance.now();
    const outcome = await openTunnel(service.url, `${app}/port-forward?port=8080`, service.token);
    if (!outcome.open) throw new Error(`tunnel refused: ${outcome.status} ${JSON.stringify(outcome.body)}`);
    opened = performance.now() - started;
    const ws = outcome.ws;
    try {
      await httpOver(ws, "/log?lines=1500");
      const tail = await timed(LOG_REQUESTS, async () => {
        const response = await fetch(`${service.url}${app}/logs?tail=1000`, {
          headers: { authorization: `Bearer ${service.token}` },
        });
        const text = await response.text();
        if (response.status !== 200 || text.split("\n").length < 1000) {
          throw new Error(`logs: ${response.status}, ${text.length} bytes`);
        }
      });
      row("logs?tail=1000", tail);
      row(
        "port-forward HTTP round trip",
        await timed(TUNNEL_REQUESTS, () => httpOver(ws, "/version").then(() => {})),
      );
    } finally {
      ws.close();
    }
  } finally {
    const deleted = await service.call<{ id: string }>("DELETE", `/v1/projects/${project}`);
    if (deleted.status === 202) await service.settle(deleted.body.id);
    await service.close();
  }
  console.log(`B7: an app's runtime views on the real node (local zone, ${new Date().toISOString()})`);
  console.log(`${"what".padEnd(34)} requests        p50        p99`);
  for (const line of rows) console.log(line);
  console.log(`port-forward tunnel opened in ${opened.toFixed(1)} ms`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
