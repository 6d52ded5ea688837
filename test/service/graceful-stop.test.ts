/**
 * SIGTERM to a running service process: it takes no more jobs, lets the run in progress finish
 * within the grace period, or hands it back so that another instance recovers and finishes it.
 * The service runs as a child process (test/service/fixtures/service-process.ts) with the real
 * queue, store and signal handling; only the engine is a FakeRunner.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureAdmin } from "../../automation-api/domain/bootstrap.js";
import { Store } from "../../automation-api/store/store.js";
import { freshDatabase, TestService, testZone } from "./harness.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixture = join(repoRoot, "test", "service", "fixtures", "service-process.ts");

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

let databaseUrl: string;
let adminToken: string;
const children = new Set<ChildProcess>();
const services: TestService[] = [];

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  const store = Store.connect(databaseUrl);
  await store.migrate();
  adminToken = (await ensureAdmin(store)) ?? "";
  await store.close();
});
afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  for (const service of services.splice(0)) await service.close();
});

function startChild(runDelayMs: number, graceSeconds: number): Promise<Child> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      ZONE_JSON: JSON.stringify(testZone()),
      RUN_DELAY_MS: String(runDelayMs),
      GRACE_SECONDS: String(graceSeconds),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start: ${output}`)), 30_000);
    child.stdout?.on("data", () => {
      const match = /^listening (http:\/\/\S+)$/m.exec(output);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolve({ process: child, url: match[1], output: () => output, exited });
    });
    void exited.then((code) => reject(new Error(`the service exited (${code}): ${output}`)));
  });
}

async function call(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A user with a token, and a project whose first run the child has started. */
async function projectRunning(child: Child, user: string, project: string) {
  expect((await call(child.url, "POST", "/v1/users", adminToken, { name: user })).status).toBe(201);
  const token = (await call(child.url, "POST", `/v1/users/${user}/tokens`, adminToken, { name: "t" })).body[
    "token"
  ] as string;
  const accepted = await call(child.url, "PUT", `/v1/projects/${project}`, token, { zone: "testzone" });
  expect(accepted.status).toBe(202);
  const operationId = accepted.body["id"] as string;
  await waitFor(async () => {
    const operation = await call(child.url, "GET", `/v1/operations/${operationId}`, token);
    return operation.body["status"] === "running";
  }, "the run to start");
  return { token, operationId };
}

/** The child's JSON log lines. */
function logLines(child: Child): Record<string, unknown>[] {
  return child
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function query<T>(text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe("SIGTERM", () => {
  it("lets a run that ends within the grace period finish, answering the API meanwhile but not ready", async () => {
    const child = await startChild(4000, 30);
    const { token, operationId } = await projectRunning(child, "ana", "finishing");

    const signalled = Date.now();
    child.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ready = await fetch(`${child.url}/readyz`);
    const readyBody = (await ready.json()) as Record<string, unknown>;
    const during = await call(child.url, "GET", `/v1/operations/${operationId}`, token);
    const code = await child.exited;

    expect(ready.status).toBe(503);
    expect(readyBody["detail"]).toContain("queue: the service is stopping");
    expect(during.status).toBe(200);
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThan(2000);
    const runs = await query<{ status: string }>("select status from runs where stack = $1", [
      "finishing.testzone",
    ]);
    expect(runs.map((run) => run.status)).toEqual(["succeeded"]);
    const [operation] = await query<{ status: string }>("select status from operations where id = $1", [
      operationId,
    ]);
    expect(operation?.status).toBe("succeeded");
    expect(child.output()).toContain('"msg":"pluskube stopped"');
  });

  it("hands a run that outlasts the grace period back, and another instance recovers and finishes it", async () => {
    const child = await startChild(120_000, 1);
    const { token, operationId } = await projectRunning(child, "bea", "long");

    const signalled = Date.now();
    child.process.kill("SIGTERM");
    const code = await child.exited;
    const stoppedAfter = Date.now() - signalled;
    const [run] = await query<{ status: string; message: string }>(
      "select status, message from runs where stack = $1",
      ["long.testzone"],
    );
    const [operation] = await query<{ status: string }>("select status from operations where id = $1", [
      operationId,
    ]);
    const [project] = await query<{ needs_recovery: boolean }>(
      "select needs_recovery from projects where name = $1",
      ["long"],
    );
    const waiting = await query<{ state: string }>(
      "select state from pgboss.job where singleton_key = $1 and state in ('created', 'retry', 'active')",
      ["long.testzone"],
    );

    expect(code).toBe(0);
    expect(stoppedAfter).toBeLessThan(15_000);
    expect(run?.status).toBe("interrupted");
    expect(run?.message).toMatch(/^handed back at shutdown/);
    expect(operation?.status).toBe("running");
    expect(project?.needs_recovery).toBe(true);
    expect(waiting.map((job) => job.state)).toEqual(["created"]);
    const handedBack = logLines(child).find(
      (line) => line["msg"] === "run handed back: the service is stopping",
    );
    expect(handedBack).toMatchObject({ stack: "long.testzone", operationIds: [operationId] });

    const other = await TestService.start({ databaseUrl });
    services.push(other);
    const settled = await other.settle(token, operationId);

    expect(settled["status"]).toBe("succeeded");
    expect(other.runner.runs.map((entry) => entry.kind)).toEqual(["recover", "up"]);
    const runs = await query<{ status: string; attempt: number }>(
      "select status, attempt from runs where stack = $1 order by started_at",
      ["long.testzone"],
    );
    expect(runs.map((entry) => entry.status)).toEqual(["interrupted", "succeeded"]);
  });
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
});
