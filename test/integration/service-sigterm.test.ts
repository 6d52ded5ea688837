import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { ensureAdmin } from "../../automation-api/domain/bootstrap.js";
import { Store } from "../../automation-api/store/store.js";
import { localImage } from "../../localzone/images.js";
import {
  deployment,
  dropLocalServiceDatabase,
  isAvailable,
  localServiceDatabase,
} from "./service-helpers.js";
import { uniqueProject } from "./helpers/project-stack.js";
import {
  descendants,
  killService,
  startServiceProcess,
  type ServiceProcess,
} from "./helpers/service-process.js";

/**
 * `npm start`'s program stopped with SIGTERM while the real engine deploys an app, with a grace
 * period shorter than the run: the engine is interrupted, the run handed back, and the next start
 * recovers the stack and finishes the operation.
 */
const IMAGE = localImage("echo").ref;
const PROJECT = uniqueProject("it-sigterm");
const GRACE_SECONDS = 2;

type Operation = {
  id: string;
  status: string;
  message: string | null;
  events?: { type: string; data: Record<string, unknown> }[];
};

let databaseUrl: string;
let adminToken: string;
const running = new Set<ChildProcess>();
let serviceOutput = "";

/** `npm start`'s program with this test's database, one worker and a short grace period. */
async function startService(): Promise<ServiceProcess> {
  const service = await startServiceProcess(
    {
      DATABASE_URL: databaseUrl,
      PLUSKUBE_WORKERS: "1",
      PLUSKUBE_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      LOG_FORMAT: "json",
    },
    (chunk) => {
      serviceOutput += chunk;
    },
  );
  running.add(service.child);
  void service.exited.then(() => running.delete(service.child));
  return service;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function call<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

beforeAll(async () => {
  databaseUrl = await localServiceDatabase();
  const store = Store.connect(databaseUrl);
  await store.migrate();
  adminToken = (await ensureAdmin(store)) ?? "";
  await store.close();
});

afterAll(async () => {
  for (const child of running) killService(child, "SIGKILL");
  if (databaseUrl) await dropLocalServiceDatabase(databaseUrl);
});

describe("a service stopped with SIGTERM in the middle of a run", () => {
  it("interrupts the engine, hands the run back, and the next start finishes it", async () => {
    onTestFailed(() => {
      process.stdout.write(`the services' output:\n${serviceOutput}\n`);
    });
    const first = await startService();
    const project = await call<Operation>(first.url, "PUT", `/v1/projects/${PROJECT}`, { zone: "local" });
    const app = await call<Operation>(first.url, "PUT", `/v1/projects/${PROJECT}/apps/web`, {
      image: IMAGE,
      replicas: 2,
    });
    expect([project.status, app.status]).toEqual([202, 202]);
    await until("the engine to start on the app", 300_000, async () => {
      const operation = await call<Operation>(first.url, "GET", `/v1/operations/${app.body.id}`);
      const started = operation.body.events?.some(
        (event) => event.type === "resource" && String(event.data["urn"]).includes("AppClaim"),
      );
      return operation.body.status === "running" && started ? true : undefined;
    });

    const engine = descendants(first.child.pid ?? 0);
    const signalled = Date.now();
    first.child.kill("SIGTERM");
    const code = await first.exited;
    const stoppedAfter = Date.now() - signalled;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const left = engine.filter(alive);

    expect(code).toBe(0);
    expect(stoppedAfter).toBeLessThan((GRACE_SECONDS + 45) * 1000);
    expect(left).toEqual([]);
    expect(serviceOutput).toContain('"msg":"run handed back: the service is stopping"');

    const second = await startService();
    try {
      const done = await until("the app's operation to finish", 600_000, async () => {
        const operation = await call<Operation>(second.url, "GET", `/v1/operations/${app.body.id}`);
        return ["succeeded", "failed"].includes(operation.body.status) ? operation.body : undefined;
      });

      expect(done).toMatchObject({ status: "succeeded", message: null });
      const phases = done.events?.filter((event) => event.type === "run").map((event) => event.data["phase"]);
      expect(phases).toEqual(expect.arrayContaining(["interrupted", "recovering", "succeeded"]));
      expect(isAvailable(await deployment(PROJECT, "web"))).toBe(true);

      const deleted = await call<Operation>(second.url, "DELETE", `/v1/projects/${PROJECT}`);
      await until("the project to be destroyed", 600_000, async () => {
        const operation = await call<Operation>(second.url, "GET", `/v1/operations/${deleted.body.id}`);
        return ["succeeded", "failed"].includes(operation.body.status) ? operation.body : undefined;
      });
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});
