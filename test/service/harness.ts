import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import pg from "pg";
import { inject } from "vitest";
import type { AppDeps } from "../../automation-api/app.js";
import { staticZones } from "../../automation-api/domain/zones.js";
import type { EventBus } from "../../automation-api/jobs/event-bus.js";
import type { StackJobs, StackJobsOptions } from "../../automation-api/jobs/stack-jobs.js";
import type { AppUsageSampler } from "../../automation-api/jobs/app-usage-sampler.js";
import { buildService, type Service } from "../../automation-api/service.js";
import type { Store } from "../../automation-api/store/store.js";
import { parseZoneSpec, type ZoneSpec } from "../../spec/zone.js";
import type { Runner } from "../../automation-api/runner/runner.js";
import type { ZoneClusters } from "../../automation-api/cluster/cluster.js";
import { SecretBox } from "../../automation-api/domain/secret-box.js";
import { hashToken, newToken } from "../../automation-api/domain/tokens.js";
import { FakeClusters } from "./fake-clusters.js";
import { FakeRunner } from "./fake-runner.js";
import type { Logger } from "../../automation-api/observability/log.js";
import type { ServiceMetrics } from "../../automation-api/observability/metrics.js";

/**
 * A test zone small enough to reach its limits: (4 − 1) CPUs and (8 − 2) Gi of memory make 12
 * chunks of 250m/512Mi/1Gi; (40 − 10) Gi of disk leave 18 GB for volumes beside them.
 */
export function testZone(name = "testzone", overrides: Record<string, unknown> = {}): ZoneSpec {
  return parseZoneSpec({
    name,
    baseDomain: `${name}.pluskube.test`,
    ingressClass: "nginx",
    storageClass: "standard",
    chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
    capacity: { cpu: "4", memory: "8Gi", disk: "40Gi", databaseGB: 10, objectGB: 20 },
    reserve: { cpu: "1", memory: "2Gi", disk: "10Gi" },
    postgres: {
      host: "127.0.0.1",
      port: 5432,
      adminUser: "pluskube",
      passwordFile: "/dev/null",
      sslmode: "disable",
    },
    s3: {
      endpoint: "http://127.0.0.1:8333",
      adminAccessKeyFile: "/dev/null",
      adminSecretKeyFile: "/dev/null",
    },
    ...overrides,
  });
}

/** A new empty database in the throwaway cluster, for one test file (or one service). */
/** A new user with a token, stored straight in `store`: the token's id, its user's id and its hash. */
export async function storedUserToken(
  store: Store,
  name: string,
): Promise<{ id: string; userId: string; hash: string }> {
  const user = await store.createUser({ name });
  const secret = newToken();
  const row = await store.insertToken({
    hash: hashToken(secret),
    prefix: secret.slice(0, 8),
    name: "cli",
    userId: user.id,
    scope: "user",
  });
  return { id: row.id, userId: user.id, hash: row.hash };
}

export async function freshDatabase(): Promise<string> {
  const adminUrl = inject("pgAdminUrl");
  const name = `svc_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (no JSON encoding). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface ServiceOptions<R extends Runner = FakeRunner> {
  readonly databaseUrl?: string;
  readonly zones?: readonly ZoneSpec[];
  readonly runner?: R;
  /** The zones' clusters as the service reads them. Default: clusters with no namespaces at all. */
  readonly clusters?: ZoneClusters;
  /** Key of secret values. Default: a random one; `null`: none, as a service without a key. */
  readonly secrets?: SecretBox | null;
  readonly app?: Partial<
    Omit<AppDeps, "store" | "zones" | "clusters" | "jobs" | "bus" | "secrets" | "metrics" | "readiness">
  >;
  readonly jobs?: Partial<
    Omit<StackJobsOptions, "connectionString" | "store" | "runner" | "zones" | "bus" | "metrics">
  >;
  /** Start without job workers (requests still enqueue). */
  readonly workers?: boolean;
  /** Where the service logs. Default: nowhere. */
  readonly logger?: Logger;
}

/** The service in-process on an ephemeral port, on a real PostgreSQL, with a fake runner by default. */
export class TestService<R extends Runner = FakeRunner> {
  private constructor(
    readonly url: string,
    readonly databaseUrl: string,
    readonly store: Store,
    readonly jobs: StackJobs,
    readonly bus: EventBus,
    readonly runner: R,
    readonly adminToken: string,
    private readonly server: Server,
    private readonly service: Service,
    private readonly workersStarted: boolean,
  ) {}

  private readonly extraServers: Server[] = [];

  static async start(options?: ServiceOptions): Promise<TestService>;
  static async start<R extends Runner>(options: ServiceOptions<R> & { runner: R }): Promise<TestService<R>>;
  static async start(options: ServiceOptions<Runner> = {}): Promise<TestService<Runner>> {
    const databaseUrl = options.databaseUrl ?? (await freshDatabase());
    const runner = options.runner ?? new FakeRunner();
    const service = await buildService({
      databaseUrl,
      zones: staticZones(options.zones ?? [testZone(), testZone("otherzone")]),
      runner,
      clusters: options.clusters ?? new FakeClusters(),
      secrets: options.secrets === null ? undefined : (options.secrets ?? new SecretBox(randomBytes(32))),
      jobs: {
        workers: 2,
        retryDelaySeconds: 0,
        busyDelaySeconds: 1,
        pollingIntervalSeconds: 0.5,
        sweepIntervalSeconds: 1,
        deadWorkerGraceSeconds: 2,
        // Off unless a test is about it: reconciles at random times would add runs to every test.
        reconcile: false,
        ...options.jobs,
      },
      app: options.app,
      logger: options.logger,
      workers: options.workers,
    });
    const server = await service.listen(0, "127.0.0.1");
    const { port } = server.address() as AddressInfo;
    return new TestService(
      `http://127.0.0.1:${port}`,
      databaseUrl,
      service.store,
      service.jobs,
      service.bus,
      runner,
      service.adminToken ?? "",
      server,
      service,
      options.workers !== false,
    );
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers["authorization"] = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(this.url + path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = {};
    if (text && /json/.test(response.headers.get("content-type") ?? "")) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get = <T = Record<string, unknown>>(path: string, token: string, options: RequestOptions = {}) =>
    this.request<T>("GET", path, { ...options, token });
  put = <T = Record<string, unknown>>(path: string, token: string, body: unknown) =>
    this.request<T>("PUT", path, { token, body });
  patch = <T = Record<string, unknown>>(path: string, token: string, body: unknown) =>
    this.request<T>("PATCH", path, {
      token,
      body,
      headers: { "content-type": "application/merge-patch+json" },
    });
  post = <T = Record<string, unknown>>(path: string, token: string, body: unknown) =>
    this.request<T>("POST", path, { token, body });
  delete = <T = Record<string, unknown>>(path: string, token: string) =>
    this.request<T>("DELETE", path, { token });

  /** Creates a user through the API and returns a token of theirs. */
  async user(name: string, options: { weight?: number } = {}): Promise<string> {
    const created = await this.post("/v1/users", this.adminToken, { name, ...options });
    if (created.status !== 201) throw new Error(`creating user ${name}: ${created.status} ${created.text}`);
    const token = await this.post<{ token: string }>(`/v1/users/${name}/tokens`, this.adminToken, {
      name: "test",
    });
    if (token.status !== 201) throw new Error(`creating a token for ${name}: ${token.status} ${token.text}`);
    return token.body.token;
  }

  /** Creates a project token with `owner`'s user token and returns it. */
  async projectToken(
    owner: string,
    project: string,
    scope: "read" | "deploy",
    name = scope,
  ): Promise<string> {
    const created = await this.post<{ token: string }>(`/v1/projects/${project}/tokens`, owner, {
      name,
      scope,
    });
    if (created.status !== 201)
      throw new Error(`creating a ${scope} token of ${project}: ${created.status} ${created.text}`);
    return created.body.token;
  }

  /** Creates a project and waits for its first operation. */
  async project(token: string, name: string, zone = "testzone"): Promise<void> {
    const response = await this.put<{ id: string }>(`/v1/projects/${name}`, token, { zone });
    if (response.status !== 202)
      throw new Error(`creating project ${name}: ${response.status} ${response.text}`);
    if (this.workersStarted) await this.settle(token, response.body.id);
  }

  /** Waits until an operation is done; returns it. */
  async settle(token: string, operationId: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.get(`/v1/operations/${operationId}`, token);
      if (response.status !== 200)
        throw new Error(`operation ${operationId}: ${response.status} ${response.text}`);
      if (response.body["status"] === "succeeded" || response.body["status"] === "failed")
        return response.body;
      if (Date.now() > deadline)
        throw new Error(`operation ${operationId} still ${String(response.body["status"])}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The service's Prometheus figures. */
  get metrics(): ServiceMetrics {
    return this.service.metrics;
  }

  /** The sampler of apps' CPU and memory, for a test to run a pass of when it needs one. */
  get appUsage(): AppUsageSampler {
    return this.service.appUsage;
  }

  /** Serves the service's `/metrics` on an ephemeral port of its own; returns that URL. */
  async listenMetrics(): Promise<string> {
    const server = await this.service.listenMetrics(0, "127.0.0.1");
    this.extraServers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  async close(): Promise<void> {
    for (const server of this.extraServers) server.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.service.stop();
  }
}
