/**
 * Shared stack state through the real engine: a stack run from one data folder is in the
 * PostgreSQL table, and a runner with another data folder (another machine's instance) and the
 * same settings finds it, with its secrets, and destroys it.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { localRunner } from "../../automation-api/local-zone.js";
import type { AutomationRunner } from "../../automation-api/runner/automation-runner.js";
import type { RunRequest } from "../../automation-api/runner/runner.js";
import { prepareSharedState, readStateConfig } from "../../automation-api/shared-state.js";
import { stateDir } from "../../localzone/engine-env.js";
import { simulatedZone } from "../../localzone/zone.js";
import { parseProjectSpec, stackName } from "../../spec/project.js";
import { kubeSend } from "./helpers/local-zone.js";
import { uniqueProject } from "./helpers/project-stack.js";
import { dropLocalServiceDatabase, localServiceDatabase } from "./service-helpers.js";

const zone = simulatedZone();
const folders: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error(error));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A runner as one instance builds it from `env`, with a data folder of its own. */
async function instance(
  env: Record<string, string>,
  databaseUrl: string,
): Promise<{ runner: AutomationRunner; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "pluskube-state-"));
  folders.push(dataDir);
  const sharedState = await prepareSharedState(readStateConfig(env), {
    dataDir,
    databaseUrl,
  });
  return { runner: await localRunner({ dataDir, policyPack: false, sharedState }), dataDir };
}

function request(project: string): RunRequest {
  return {
    project,
    zone,
    // The tenant namespace alone keeps the runs short; the state still holds a secret (the
    // zone's kubeconfig, which the provider keeps secret) that the other runner must open.
    spec: parseProjectSpec({ project, zone: zone.name }),
    policy: {
      namespace: project,
      share: {},
      baseDomain: "",
      verifiedDomains: [],
      requireTls: false,
      allowedRegistries: [],
    },
    onEvent: () => {},
  };
}

/**
 * Every key of the state table that names the stack: its checkpoint, the one before it, backups
 * and history (keys start with the database's name; stack names are unique to a test).
 */
async function stateKeys(databaseUrl: string, stack: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string }>("select key from pulumi_state where key like $1", [
      `%/.pulumi/%${stack}%`,
    ]);
    return rows.map((row) => row.key);
  } finally {
    await client.end();
  }
}

/** Every file under the file backend's folder whose path names the stack. */
async function stateFiles(stack: string): Promise<string[]> {
  const entries = await readdir(join(stateDir(), ".pulumi"), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => path.includes(stack));
}

describe("stack state in PostgreSQL", () => {
  it("is where another instance's runner finds the stack, opens its secrets and destroys it", async () => {
    const databaseUrl = await localServiceDatabase();
    cleanups.push(() => dropLocalServiceDatabase(databaseUrl));
    const env = {
      PLUSKUBE_STATE_BACKEND: "postgres",
      PLUSKUBE_STATE_PASSPHRASE: randomBytes(24).toString("base64url"),
      PLUSKUBE_SECRETS_KEY: randomBytes(32).toString("base64"),
    };
    const project = uniqueProject("it-state");
    const stack = stackName(project, zone.name);
    // The state goes with the database: what a failed run left is removed by hand.
    cleanups.unshift(async () => {
      await kubeSend("DELETE", `/api/v1/namespaces/${project}`);
    });
    const { runner: first } = await instance(env, databaseUrl);
    const { runner: second, dataDir: secondDir } = await instance(env, databaseUrl);

    await first.up(request(project));
    const seenBySecond = await second.resources({ project, zone });
    await second.up(request(project));
    const stored = await stateKeys(databaseUrl, stack);
    await second.destroy(request(project));
    const left = await stateKeys(databaseUrl, stack);

    expect(stored.some((key) => key.endsWith(`/${stack}.json`))).toBe(true);
    // Two updates: no copy of either kept beside the checkpoint and the one before it.
    expect(stored.filter((key) => key.includes("/.pulumi/backups/"))).toEqual([]);
    expect(seenBySecond.map((resource) => resource.type)).toContain("kubernetes:core/v1:Namespace");
    // Nothing of a deleted project's state is kept, not even the engine's `.json.bak`.
    expect(left).toEqual([]);
    expect(existsSync(join(secondDir, "work", stack))).toBe(false);
  });
});

describe("stack state in the file backend", () => {
  it("keeps no copies of a stack's checkpoints, and nothing of the stack once it is destroyed", async () => {
    const project = uniqueProject("it-state");
    const stack = stackName(project, zone.name);
    cleanups.unshift(async () => {
      await kubeSend("DELETE", `/api/v1/namespaces/${project}`);
    });
    const dataDir = mkdtempSync(join(tmpdir(), "pluskube-state-"));
    folders.push(dataDir);
    const runner = await localRunner({ dataDir, policyPack: false });

    await runner.up(request(project));
    await runner.up(request(project));
    const stored = await stateFiles(stack);
    await runner.destroy(request(project));
    const left = await stateFiles(stack);

    expect(stored.some((path) => path.endsWith(`/${stack}.json`))).toBe(true);
    expect(stored.filter((path) => path.includes("/.pulumi/backups/"))).toEqual([]);
    expect(left).toEqual([]);
    expect(existsSync(join(dataDir, "work", stack))).toBe(false);
  });
});
