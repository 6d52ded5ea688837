/**
 * Shared stack state through the real engine: a stack run from one data folder is in the
 * PostgreSQL table, and a runner with another data folder (another machine's instance) and the
 * same settings finds it, with its secrets, and destroys it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { localRunner } from "../../automation-api/local-zone.js";
import type { AutomationRunner } from "../../automation-api/runner/automation-runner.js";
import type { RunRequest } from "../../automation-api/runner/runner.js";
import { prepareSharedState, readStateConfig } from "../../automation-api/shared-state.js";
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
async function instance(env: Record<string, string>, databaseUrl: string): Promise<AutomationRunner> {
  const dataDir = mkdtempSync(join(tmpdir(), "pluskube-state-"));
  folders.push(dataDir);
  const sharedState = await prepareSharedState(readStateConfig(env), {
    dataDir,
    databaseUrl,
  });
  return localRunner({ dataDir, policyPack: false, sharedState });
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

/** The engine's keys of the stack's checkpoint in the state table (they start with the database's name). */
async function stateKeys(databaseUrl: string, stack: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string }>("select key from pulumi_state where key like $1", [
      `%/.pulumi/stacks/pluskube-project/${stack}.json%`,
    ]);
    return rows.map((row) => row.key);
  } finally {
    await client.end();
  }
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
    const first = await instance(env, databaseUrl);
    const second = await instance(env, databaseUrl);

    await first.up(request(project));
    const stored = await stateKeys(databaseUrl, stack);
    const seenBySecond = await second.resources({ project, zone });
    await second.up(request(project));
    await second.destroy(request(project));
    // Removing a stack, the engine keeps a `.json.bak` of its last checkpoint (the file backend
    // does the same); the checkpoint itself must be gone.
    const left = (await stateKeys(databaseUrl, stack)).filter((key) => !key.endsWith(".json.bak"));

    expect(stored.length).toBeGreaterThan(0);
    expect(seenBySecond.map((resource) => resource.type)).toContain("kubernetes:core/v1:Namespace");
    expect(left).toEqual([]);
  });
});
