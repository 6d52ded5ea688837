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
import { killService, startServiceProcess, type ServiceProcess } from "./helpers/service-process.js";

/**
 * `npm start`'s program as its own process, killed in the middle of a job and started again. It
 * reads the zone files, so its app runs on the local zone's real node: an image the zone builds.
 */
const IMAGE = localImage("echo").ref;
// Its own name each run: a run killed before its cleanup leaves a namespace a new one must not trip on.
const PROJECT = uniqueProject("it-restart");

type Operation = {
  id: string;
  status: string;
  message: string | null;
  events?: { type: string; data: Record<string, unknown> }[];
};

let databaseUrl: string;
let adminToken: string;
const running = new Set<ChildProcess>();
/** Both services' output, printed when the test fails: the runs' full reasons are only there. */
let serviceOutput = "";

/** `npm start`'s program with this test's database and one worker. */
async function startService(): Promise<ServiceProcess> {
  const service = await startServiceProcess({ DATABASE_URL: databaseUrl, PLUSKUBE_WORKERS: "1" }, (chunk) => {
    serviceOutput += chunk;
  });
  running.add(service.child);
  void service.exited.then(() => running.delete(service.child));
  return service;
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
  // Made here, so the service under test never writes the operator's admin-token file.
  adminToken = (await ensureAdmin(store)) ?? "";
  await store.close();
});

afterAll(async () => {
  for (const child of running) killService(child, "SIGKILL");
  if (databaseUrl) await dropLocalServiceDatabase(databaseUrl);
});

describe("a service killed in the middle of a job", () => {
  it("finishes the job after a restart and loses nothing", async () => {
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

    // Kill it once the engine is creating the app's resources.
    await until("the engine to start on the app", 300_000, async () => {
      const operation = await call<Operation>(first.url, "GET", `/v1/operations/${app.body.id}`);
      const started = operation.body.events?.some(
        (event) => event.type === "resource" && String(event.data["urn"]).includes("AppClaim"),
      );
      return operation.body.status === "running" && started ? true : undefined;
    });
    killService(first.child, "SIGKILL");

    const second = await startService();
    try {
      const done = await until("the app's operation to finish", 600_000, async () => {
        const operation = await call<Operation>(second.url, "GET", `/v1/operations/${app.body.id}`);
        return ["succeeded", "failed"].includes(operation.body.status) ? operation.body : undefined;
      });
      const projectOperation = await call<Operation>(second.url, "GET", `/v1/operations/${project.body.id}`);
      const appState = await call<{ image: string; outputs?: { url?: string } }>(
        second.url,
        "GET",
        `/v1/projects/${PROJECT}/apps/web`,
      );

      expect(done).toMatchObject({ status: "succeeded", message: null });
      expect(projectOperation.body).toMatchObject({ status: "succeeded", message: null });
      const phases = done.events?.filter((event) => event.type === "run").map((event) => event.data["phase"]);
      expect(phases).toContain("recovering");
      expect(appState.body.image).toBe(IMAGE);
      expect(appState.body.outputs?.url).toBeTruthy();
      expect(isAvailable(await deployment(PROJECT, "web"))).toBe(true);

      const deleted = await call<Operation>(second.url, "DELETE", `/v1/projects/${PROJECT}`);
      await until("the project to be destroyed", 600_000, async () => {
        const operation = await call<Operation>(second.url, "GET", `/v1/operations/${deleted.body.id}`);
        return ["succeeded", "failed"].includes(operation.body.status) ? operation.body : undefined;
      });
    } finally {
      killService(second.child, "SIGTERM");
    }
  });
});
