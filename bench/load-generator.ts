/**
 * An open-loop load generator for B6, run as its own process so that it does not share the
 * service's event loop: requests leave on a fixed schedule whatever the answers' pace, and each
 * latency counts from the scheduled send time, so a stalled service cannot hide its queue
 * (coordinated omission). Reads its plan as JSON from argv[2]; writes the latencies as JSON.
 * A lead-in at the same rate comes first, not recorded: its own JIT and sockets, like a client
 * that has been sending for a while, so that a load measures the service's steady state and not
 * this process's start. It says on stderr when the recorded part begins.
 *
 * It speaks HTTP/1.1 on plain sockets, one request at a time on each, kept alive: it shares the
 * machine's cores with the service it measures, and node's HTTP client spent about as much CPU a
 * request as a third of the service's own, time the service then waited for a core. Answers
 * must carry a Content-Length (the service's all do); anything else counts as a failure.
 */
import { connect, type Socket } from "node:net";
import { RECORDING, type LoadResult, type Plan } from "./load-plan.js";

/** At most this many connections; beyond, a request waits for one to be free. */
const MAX_SOCKETS = 256;
const HEAD_END = Buffer.from("\r\n\r\n");

const plan = JSON.parse(process.argv[2] ?? "{}") as Plan;
const target = new URL(plan.url);
const names = Object.keys(plan.routes);
const latencies: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
const failures: Record<string, number> = {};
/** When the slow ones came (see LoadResult). */
const timeline: [number, number][] = [];

function fail(route: string, why: string): void {
  failures[`${route} ${why}`] = (failures[`${route} ${why}`] ?? 0) + 1;
}

/** One kept-alive connection and the answer it is reading, if any. */
class Connection {
  private readonly socket: Socket;
  private received: Buffer[] = [];
  private size = 0;
  private answer: ((status: number | Error) => void) | undefined;

  constructor(onClose: (connection: Connection) => void) {
    this.socket = connect(Number(target.port), target.hostname);
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk) => this.read(chunk));
    const closed = (error?: Error) => {
      onClose(this);
      this.finish(error ?? new Error("connection closed"));
    };
    this.socket.on("error", closed);
    this.socket.on("close", () => closed());
  }

  /** Sends a GET; resolves with the answer's status once its whole body is read. */
  get(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.answer = (status) => (status instanceof Error ? reject(status) : resolve(status));
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${plan.token}\r\n\r\n`,
      );
    });
  }

  private read(chunk: Buffer): void {
    this.received.push(chunk);
    this.size += chunk.length;
    const data = this.received.length === 1 ? chunk : Buffer.concat(this.received, this.size);
    this.received = [data];
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = data.toString("latin1", 0, headEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
    if (length === undefined) return this.finish(new Error("no Content-Length"));
    const end = headEnd + HEAD_END.length + Number(length);
    if (this.size < end) return;
    const rest = data.subarray(end);
    this.received = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    this.finish(Number(head.slice(9, 12)));
  }

  private finish(status: number | Error): void {
    const answer = this.answer;
    this.answer = undefined;
    answer?.(status);
  }

  close(): void {
    this.socket.destroy();
  }
}

const idle: Connection[] = [];
const open = new Set<Connection>();
const waiting: ((connection: Connection) => void)[] = [];

function connection(): Promise<Connection> {
  const kept = idle.pop();
  if (kept) return Promise.resolve(kept);
  if (open.size < MAX_SOCKETS) {
    const made = new Connection((gone) => {
      open.delete(gone);
      const index = idle.indexOf(gone);
      if (index >= 0) idle.splice(index, 1);
    });
    open.add(made);
    return Promise.resolve(made);
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function release(done: Connection): void {
  const next = waiting.shift();
  if (next) next(done);
  else idle.push(done);
}

/** Sends one request; `start` is the recorded part's, and a lead-in request (`recorded` false) only counts if it fails. */
async function send(
  route: string,
  path: string,
  scheduled: number,
  start: number,
  recorded: boolean,
): Promise<void> {
  const socket = await connection();
  try {
    const status = await socket.get(path);
    release(socket);
    const latency = performance.now() - scheduled;
    if (status !== 200) fail(route, String(status));
    else if (recorded) latencies[route]?.push(latency);
    if (recorded) timeline.push([Math.round(scheduled - start), latency]);
  } catch (error) {
    socket.close();
    fail(route, error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<void> {
  const leadIn = Math.round(plan.ratePerSecond * plan.leadInSeconds);
  const total = Math.round(plan.ratePerSecond * plan.seconds);
  const interval = 1000 / plan.ratePerSecond;
  const first = performance.now();
  const start = first + leadIn * interval;
  const pending: Promise<void>[] = [];
  let cpu = process.cpuUsage();
  for (let i = 0; i < leadIn + total; i += 1) {
    const scheduled = first + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (i === leadIn) {
      process.stderr.write(`${RECORDING}\n`);
      cpu = process.cpuUsage();
    }
    const route = names[i % names.length] as string;
    const paths = plan.routes[route] as readonly string[];
    const path = paths[Math.floor(i / names.length) % paths.length] as string;
    pending.push(send(route, path, scheduled, start, i >= leadIn));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const result: LoadResult = {
    latencies,
    failures,
    elapsed,
    sent: total,
    timeline,
    startedAt: performance.timeOrigin + start,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
  process.stdout.write(JSON.stringify(result));
  for (const connection of open) connection.close();
}

await main();
