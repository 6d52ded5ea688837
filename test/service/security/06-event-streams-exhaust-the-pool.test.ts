import { request as httpRequest, type IncomingMessage } from "node:http";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { TestService } from "../harness.js";
import { readEventStream } from "../sse.js";

let service: TestService;
let ana: string;
let release = () => {};
const aborts: AbortController[] = [];

beforeAll(async () => {
  service = await TestService.start({ app: { streams: { perToken: 2, perInstance: 4 } } });
  ana = await service.user("ana");
  await service.project(ana, "shop");
});
afterEach(async () => {
  aborts.splice(0).forEach((controller) => controller.abort());
  release();
  vi.restoreAllMocks();
  // The service sees the aborted streams close a moment later.
  await pause(300);
});
afterAll(async () => {
  await service.close();
});

/** An operation whose run waits until the test ends, so that its streams stay open. */
async function openOperation(): Promise<string> {
  let released = () => {};
  const held = new Promise<void>((resolve) => (released = resolve));
  release = () => {
    service.runner.onRun = undefined;
    released();
  };
  service.runner.onRun = async () => held;
  const accepted = await service.put<{ id: string }>("/v1/projects/shop/apps/web", ana, {
    image: `nginx:${Date.now()}`,
  });
  return accepted.body.id;
}

/** Opens a stream and resolves with its status once its head (and first event, if any) arrived. */
async function open(operationId: string, token: string): Promise<{ status: number; body: string }> {
  const controller = new AbortController();
  aborts.push(controller);
  const response = await fetch(`${service.url}/v1/operations/${operationId}/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (response.status !== 200) return { status: response.status, body: await response.text() };
  return { status: 200, body: "" };
}

async function projectToken(): Promise<string> {
  const created = await service.post<{ token: string }>("/v1/projects/shop/tokens", ana, {
    name: `t${Date.now()}${Math.random()}`,
    scope: "read",
  });
  return created.body.token;
}

function storeReads() {
  return [vi.spyOn(service.store, "findOperation"), vi.spyOn(service.store, "operationEvents")];
}

const calls = (spies: ReturnType<typeof storeReads>) =>
  spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("open event streams", () => {
  it("are capped per token (429 problem+json beyond), and a closed stream frees its place", async () => {
    const operation = await openOperation();

    const first = await open(operation, ana);
    const second = await open(operation, ana);
    const third = await open(operation, ana);
    const other = await open(operation, await projectToken());
    aborts[0]?.abort();
    await pause(200);
    const again = await open(operation, ana);

    expect([first.status, second.status, third.status, other.status, again.status]).toEqual([
      200, 200, 429, 200, 200,
    ]);
    expect(JSON.parse(third.body)).toMatchObject({ status: 429, type: "urn:pluskube:problem:rate-limited" });
    expect(JSON.parse(third.body).detail).toMatch(/2 open event streams per token/);
  });

  it("are capped per service instance (429 beyond)", async () => {
    const operation = await openOperation();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => projectToken()));

    const statuses: number[] = [];
    for (const token of tokens) statuses.push((await open(operation, token)).status);

    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});

describe("event streams", () => {
  it("do not query the store while nothing happens", async () => {
    const operation = await openOperation();
    await open(operation, ana);
    await open(operation, ana);
    await pause(300);
    const spies = storeReads();

    await pause(2500);

    expect(calls(spies)).toBe(0);
  });

  it("wake on a well-formed notification of their operation", async () => {
    const operation = await openOperation();
    await open(operation, ana);
    await pause(300);
    const spies = storeReads();

    await notify(operation);
    await pause(300);

    expect(calls(spies)).toBeGreaterThan(0);
  });

  it.each([["*"], ["not an id"], ["00000000-0000-0000-0000-000000000000,*"], [""]])(
    "ignore a malformed notification payload %j",
    async (payload) => {
      const operation = await openOperation();
      await open(operation, ana);
      await pause(300);
      const spies = storeReads();

      await notify(payload);
      await notify(`${operation},${payload}`);
      await pause(300);

      expect(calls(spies)).toBe(0);
    },
  );

  it("still end with done for a finished operation", async () => {
    const created = await service.get<{ items: { id: string }[] }>("/v1/projects/shop/operations", ana);

    const stream = await readEventStream(
      `${service.url}/v1/operations/${created.body.items.at(-1)?.id}/events`,
      ana,
    );

    expect(stream.events.at(-1)?.event).toBe("done");
  });

  it("stop reading the store while a slow client has not taken what was written", async () => {
    const created = await service.get<{ items: { id: string }[] }>("/v1/projects/shop/operations", ana);
    const operation = created.body.items.at(-1)?.id ?? "";
    const run = await service.store.kysely
      .selectFrom("operationRuns")
      .select("runId")
      .where("operationId", "=", operation)
      .executeTakeFirstOrThrow();
    const client = new pg.Client({ connectionString: service.databaseUrl });
    await client.connect();
    await client.query(
      `insert into events (run_id, type, data)
       select $1, 'log', jsonb_build_object('message', repeat('x', 2000)) from generate_series(1, 20000)`,
      [run.runId],
    );
    await client.end();
    const spy = vi.spyOn(service.store, "operationEvents");

    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${service.url}/v1/operations/${operation}/events`, {
        headers: { authorization: `Bearer ${ana}` },
      });
      req.on("response", resolve).on("error", reject).end();
    });
    response.pause();
    await pause(1500);
    const readsWhilePaused = spy.mock.calls.length;
    const chunks: string[] = [];
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => chunks.push(chunk));
    response.resume();
    await new Promise((resolve) => response.on("end", resolve));
    const ids = chunks.join("").match(/^id: /gm)?.length ?? 0;

    expect(readsWhilePaused).toBeLessThan(15);
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(40);
    expect(ids).toBeGreaterThanOrEqual(20_000);
  });
});

async function notify(payload: string): Promise<void> {
  const client = new pg.Client({ connectionString: service.databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_notify('pluskube_operations', $1)", [payload]);
  } finally {
    await client.end();
  }
}
