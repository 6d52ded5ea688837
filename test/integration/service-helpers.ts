import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { localDatabaseUrl, localRunner } from "../../automation-api/local-zone.js";
import type { AutomationRunner } from "../../automation-api/runner/automation-runner.js";
import type {
  Drift,
  Runner,
  RunRequest,
  RunResult,
  RunEvent,
  StackRef,
} from "../../automation-api/runner/runner.js";
import { dataDir, resolveZonePath } from "../../localzone/paths.js";
import { localZone } from "../../localzone/zone.js";
import { kubeGet } from "./helpers/local-zone.js";

function zoneDatabaseUrl(database: string): string {
  const zone = localZone();
  const password = readFileSync(resolveZonePath(zone.postgres.passwordFile), "utf8").trim();
  return `postgres://${encodeURIComponent(zone.postgres.adminUser)}:${encodeURIComponent(password)}@${zone.postgres.host}:${zone.postgres.port}/${database}?sslmode=disable`;
}

async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: zoneDatabaseUrl("postgres") });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A new database for one test file's service, on the local zone's PostgreSQL, made as `npm start`
 * makes its own: owned by the service's role, which the URL connects as.
 */
export async function localServiceDatabase(): Promise<string> {
  return localDatabaseUrl(localZone(), `service_it_${randomBytes(5).toString("hex")}`);
}

/** A new database made by the server's administrator, as versions before the service's own role did. */
export async function adminMadeServiceDatabase(): Promise<string> {
  const name = `service_it_${randomBytes(5).toString("hex")}`;
  await onServer(`create database ${name}`);
  return zoneDatabaseUrl(name);
}

/** Drops a database made by `localServiceDatabase`, once nothing uses it. */
export async function dropLocalServiceDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (/^service_it_[0-9a-f]+$/.test(name)) await onServer(`drop database if exists ${name} with (force)`);
}

/** The runner `npm start` uses: the Automation API, composeProject, the compiled policy pack. */
export async function realRunner(): Promise<AutomationRunner> {
  return localRunner({ dataDir: dataDir() });
}

/** Passes through to a real runner and records which stacks it ran `up` for. */
export class CountingRunner implements Runner {
  readonly ups: string[] = [];

  constructor(private readonly inner: Runner) {}

  up(request: RunRequest): Promise<RunResult> {
    this.ups.push(`${request.project}.${request.zone.name}`);
    return this.inner.up(request);
  }

  destroy(request: RunRequest): Promise<RunResult> {
    return this.inner.destroy(request);
  }

  recover(stack: StackRef, onEvent: (event: RunEvent) => void): Promise<void> {
    return this.inner.recover(stack, onEvent);
  }

  drift(request: RunRequest): Promise<Drift[]> {
    return this.inner.drift(request);
  }
}

export interface DeploymentStatus {
  spec?: { template?: { spec?: { containers?: { image?: string }[] } } };
  status?: {
    availableReplicas?: number;
    updatedReplicas?: number;
    conditions?: { type: string; status: string }[];
  };
}

export async function deployment(namespace: string, name: string): Promise<DeploymentStatus> {
  return kubeGet<DeploymentStatus>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
}

export function isAvailable(status: DeploymentStatus): boolean {
  return status.status?.conditions?.some((c) => c.type === "Available" && c.status === "True") ?? false;
}

export function imageOf(status: DeploymentStatus): string | undefined {
  return status.spec?.template?.spec?.containers?.[0]?.image;
}
