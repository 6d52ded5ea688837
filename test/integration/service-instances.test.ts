/**
 * Two service instances on one database, each with its own data folder, as on two machines:
 * stack state in PostgreSQL through the engine's `postgres://` backend, one passphrase and one
 * secrets key given to both. Requests go to either; the instance running a stack is killed with
 * SIGKILL in the middle of its run and the other finishes it from the state the dead one left.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { ensureAdmin } from "../../automation-api/domain/bootstrap.js";
import { Store } from "../../automation-api/store/store.js";
import { localImage } from "../../localzone/images.js";
import { resolveZonePath } from "../../localzone/paths.js";
import { localZone } from "../../localzone/zone.js";
import { stackName } from "../../spec/project.js";
import {
  killService,
  processTable,
  descendants,
  startServiceProcess,
  type ServiceProcess,
} from "./helpers/service-process.js";
import { kubeSend } from "./helpers/local-zone.js";
import { uniqueProject } from "./helpers/project-stack.js";
import {
  deployment,
  dropLocalServiceDatabase,
  isAvailable,
  localServiceDatabase,
} from "./service-helpers.js";

const IMAGE = localImage("echo").ref;
const PROJECT = uniqueProject("it-multi");
const STACK = stackName(PROJECT, "local");
const RATE_LIMIT = 300;
const AUTH_FAILURE_LIMIT = 30;
// A client address the service believes through X-Forwarded-For (it trusts loopback proxies),
// so that the failures counted against it never block the test's own requests.
const FAILING_CLIENT = "203.0.113.9";

type Operation = {
  id: string;
  status: string;
  message: string | null;
  events?: { type: string; data: Record<string, unknown> }[];
};

let databaseUrl: string;
let adminToken: string;
const dataDirs: string[] = [];
const started: ServiceProcess[] = [];
let serviceOutput = "";

/**
 * A data folder of its own, as another machine's: the local zone's kubeconfig and credential
 * files copied in where the zone file names them (they follow PLUSKUBE_DATA_DIR), nothing else.
 */
function machineDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pluskube-instance-"));
  const zone = localZone();
  mkdirSync(join(dir, "localzone"), { recursive: true });
  for (const file of [
    zone.kubeconfig ?? "",
    zone.postgres.passwordFile,
    zone.s3.adminAccessKeyFile,
    zone.s3.adminSecretKeyFile,
  ]) {
    const from = resolveZonePath(file);
    copyFileSync(from, join(dir, "localzone", basename(from)));
  }
  dataDirs.push(dir);
  return dir;
}

/** What both instances share, and must: the database, the state's passphrase, the secrets key. */
const shared = {
  PLUSKUBE_STATE_BACKEND: "postgres",
  PLUSKUBE_STATE_PASSPHRASE: randomBytes(24).toString("base64url"),
  PLUSKUBE_SECRETS_KEY: randomBytes(32).toString("base64"),
  PLUSKUBE_WORKERS: "1",
  PLUSKUBE_RATE_LIMIT: String(RATE_LIMIT),
  PLUSKUBE_AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT),
  PLUSKUBE_TRUST_PROXY: "loopback",
};

async function startInstance(name: string): Promise<ServiceProcess & { name: string; dataDir: string }> {
  const dataDir = machineDataDir();
  const service = await startServiceProcess(
    { ...shared, DATABASE_URL: databaseUrl, PLUSKUBE_DATA_DIR: dataDir },
    (chunk) => {
      serviceOutput += chunk
        .split("\n")
        .map((line) => (line ? `[${name}] ${line}` : line))
        .join("\n");
    },
  );
  started.push(service);
  return { ...service, name, dataDir };
}

async function call<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${adminToken}` },
): Promise<{ status: number; body: T }> {
  const response = await fetch(url + path, {
    method,
    headers: { ...headers, "content-type": "application/json" },
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
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function finished(url: string, operation: string): Promise<Operation> {
  return until(`operation ${operation} to finish`, 600_000, async () => {
    const { body } = await call<Operation>(url, "GET", `/v1/operations/${operation}`);
    return ["succeeded", "failed"].includes(body.status) ? body : undefined;
  });
}

/** The engine CLI processes running the stack right now, on the whole machine. */
function engineProcesses(): number[] {
  return processTable()
    .filter((row) => row.comm === "pulumi" && row.args.includes(STACK))
    .map((row) => row.pid);
}

async function onDatabase<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Waits, when the rate limits' current minute is nearly over, for the next one to begin. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await new Promise((resolve) => setTimeout(resolve, left + 500));
}

beforeAll(async () => {
  databaseUrl = await localServiceDatabase();
  const store = Store.connect(databaseUrl);
  await store.migrate();
  adminToken = (await ensureAdmin(store)) ?? "";
  await store.close();
});

afterAll(async () => {
  for (const service of started) killService(service.child, "SIGKILL");
  // The stack's state goes with the database: a project left by a failed run is removed by hand,
  // or its pods would hold the real node's CPU for the runs that come after.
  await kubeSend("DELETE", `/api/v1/namespaces/${PROJECT}`);
  if (databaseUrl) await dropLocalServiceDatabase(databaseUrl);
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe("two service instances on one database", () => {
  it("share rate limits, finish the run of an instance killed in its middle, and never run a stack twice at once", async () => {
    onTestFailed(() => {
      process.stdout.write(`the services' output:\n${serviceOutput}\n`);
    });
    const [a, b] = await Promise.all([startInstance("a"), startInstance("b")]);

    // Rate limits: half the token's allowance through each instance, then both refuse.
    await call(a.url, "POST", "/v1/users", { name: "counter" });
    const issued = await call<{ token: string }>(b.url, "POST", "/v1/users/counter/tokens", { name: "load" });
    const counter = { authorization: `Bearer ${issued.body.token}` };
    await freshWindow();
    const statuses: number[] = [];
    for (const service of [a, b]) {
      for (let i = 0; i < RATE_LIMIT / 2; i++) {
        statuses.push((await call(service.url, "GET", "/v1/projects", undefined, counter)).status);
      }
    }
    const over = [
      (await call(a.url, "GET", "/v1/projects", undefined, counter)).status,
      (await call(b.url, "GET", "/v1/projects", undefined, counter)).status,
    ];
    const failing = { authorization: "Bearer pk_not-a-token", "x-forwarded-for": FAILING_CLIENT };
    const failures: number[] = [];
    for (const service of [a, b]) {
      for (let i = 0; i < AUTH_FAILURE_LIMIT / 2; i++) {
        failures.push((await call(service.url, "GET", "/v1/projects", undefined, failing)).status);
      }
    }
    const overFailures = [
      (await call(a.url, "GET", "/v1/projects", undefined, failing)).status,
      (await call(b.url, "GET", "/v1/projects", undefined, failing)).status,
    ];
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(over).toEqual([429, 429]);
    expect(new Set(failures)).toEqual(new Set([401]));
    expect(overFailures).toEqual([429, 429]);

    // From here on, a sampler counts the engine processes running the stack, machine-wide.
    let mostAtOnce = 0;
    const sampler = setInterval(() => {
      mostAtOnce = Math.max(mostAtOnce, engineProcesses().length);
    }, 200);
    try {
      const project = await call<Operation>(a.url, "PUT", `/v1/projects/${PROJECT}`, { zone: "local" });
      const web = await call<Operation>(b.url, "PUT", `/v1/projects/${PROJECT}/apps/web`, {
        image: IMAGE,
        replicas: 1,
      });
      expect([project.status, web.status]).toEqual([202, 202]);

      // Once the engine makes the app's resources, find the instance whose process runs it.
      const doomed = await until("the engine to start on the app", 300_000, async () => {
        const operation = await call<Operation>(a.url, "GET", `/v1/operations/${web.body.id}`);
        const making = operation.body.events?.some(
          (event) => event.type === "resource" && String(event.data["urn"]).includes("AppClaim"),
        );
        if (operation.body.status !== "running" || !making) return undefined;
        const engines = new Set(engineProcesses());
        return [a, b].find((service) => descendants(service.child.pid ?? -1).some((pid) => engines.has(pid)));
      });
      const survivor = doomed === a ? b : a;
      // A request to the instance about to die and one to the other, while the run goes on.
      const api = await call<Operation>(doomed.url, "PUT", `/v1/projects/${PROJECT}/apps/api`, {
        image: IMAGE,
      });
      // Additions only: a change to a field of the resource whose create the kill cuts short
      // meets that create's field manager in the cluster (see the README's "Several service
      // instances"), with one instance as with several.
      const jobs = await call<Operation>(survivor.url, "PUT", `/v1/projects/${PROJECT}/apps/jobs`, {
        image: IMAGE,
      });
      expect([api.status, jobs.status]).toEqual([202, 202]);
      killService(doomed.child, "SIGKILL");

      const done = await finished(survivor.url, web.body.id);
      const results = await Promise.all(
        [project, api, jobs].map((operation) => finished(survivor.url, operation.body.id)),
      );
      expect(done).toMatchObject({ status: "succeeded", message: null });
      for (const result of results) expect(result).toMatchObject({ status: "succeeded", message: null });
      const phases = done.events?.filter((event) => event.type === "run").map((event) => event.data["phase"]);
      expect(phases).toContain("recovering");

      for (const app of ["web", "api", "jobs"]) {
        const state = await call<{ image: string; outputs?: { url?: string } }>(
          survivor.url,
          "GET",
          `/v1/projects/${PROJECT}/apps/${app}`,
        );
        expect(state.body.image).toBe(IMAGE);
        expect(state.body.outputs?.url).toBeTruthy();
        expect(isAvailable(await deployment(PROJECT, app))).toBe(true);
      }

      // The stack's state is in the shared database, and in neither data folder.
      const stateKeys = await onDatabase<{ key: string }>("select key from pulumi_state where key like $1", [
        `%/.pulumi/stacks/pluskube-project/${STACK}.json%`,
      ]);
      expect(stateKeys.length).toBeGreaterThan(0);
      for (const service of [a, b]) {
        expect(existsSync(join(service.dataDir, "state"))).toBe(false);
        expect(existsSync(join(service.dataDir, "pulumi-passphrase"))).toBe(false);
      }

      // Runs of the stack, by both instances, one after another: each began after the last ended.
      const runs = await onDatabase<{
        worker: string;
        status: string;
        started_at: Date;
        finished_at: Date | null;
      }>("select worker, status, started_at, finished_at from runs where stack = $1 order by started_at", [
        STACK,
      ]);
      expect(runs.map((run) => run.status)).toContain("interrupted");
      expect(new Set(runs.map((run) => run.worker.split(":")[1])).size).toBe(2);
      for (let i = 1; i < runs.length; i++) {
        const before = runs[i - 1]?.finished_at;
        expect(before).not.toBeNull();
        expect(runs[i]?.started_at.getTime()).toBeGreaterThanOrEqual(before?.getTime() ?? Infinity);
      }

      const deleted = await call<Operation>(survivor.url, "DELETE", `/v1/projects/${PROJECT}`);
      expect(await finished(survivor.url, deleted.body.id)).toMatchObject({ status: "succeeded" });
      // Nothing of the deleted project's state is kept: checkpoint, the one before, history.
      const left = await onDatabase<{ key: string }>("select key from pulumi_state where key like $1", [
        `%/.pulumi/%${STACK}%`,
      ]);
      expect(left).toEqual([]);
    } finally {
      clearInterval(sampler);
    }
    expect(mostAtOnce).toBe(1);
  });
});
