import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { ensureAdmin } from "../../automation-api/domain/bootstrap.js";
import { Store } from "../../automation-api/store/store.js";
import { localImage } from "../../localzone/images.js";
import { repoRoot } from "../../localzone/paths.js";
import {
  deployment,
  dropLocalServiceDatabase,
  isAvailable,
  localServiceDatabase,
} from "./service-helpers.js";
import { uniqueProject } from "./helpers/project-stack.js";

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

async function startService(): Promise<{ child: ChildProcess; url: string }> {
  // Its own process group, so that killing it also kills the engine processes it started.
  const child = spawn(process.execPath, ["--import", "tsx", "automation-api/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0", PLUSKUBE_WORKERS: "1" },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    serviceOutput += chunk.toString();
  };
  child.stderr?.on("data", keep);
  child.stdout?.on("data", keep);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start: ${output}`)), 120_000);
    child.stdout?.on("data", () => {
      const match = /pluskube listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`the service exited (${code}): ${output}`)));
  });
  return { child, url };
}

/** Every process started under `pid`, found through their parents before anything is killed. */
function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent && child !== undefined) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

/**
 * Kills the service as a crash would, with everything it started: the engine puts its plugins
 * (the policy pack's language host, providers) in process groups of their own, so the service's
 * group alone would leave them running.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  const started = descendants(child.pid);
  for (const pid of [child.pid, ...started]) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
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
  // Made here, so the service under test never writes the operator's admin-token file.
  adminToken = (await ensureAdmin(store)) ?? "";
  await store.close();
});

afterAll(async () => {
  for (const child of running) killGroup(child, "SIGKILL");
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
    killGroup(first.child, "SIGKILL");

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
      killGroup(second.child, "SIGTERM");
    }
  });
});
