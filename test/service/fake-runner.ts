import type { ProjectSpec } from "../../spec/project.js";
import {
  EngineFailure,
  type Drift,
  type RunEvent,
  type Runner,
  type RunRequest,
  type RunResult,
  type StackRef,
} from "../../automation-api/runner/runner.js";

export interface RecordedRun {
  readonly kind: "up" | "destroy" | "recover" | "drift";
  readonly stack: string;
  readonly spec?: ProjectSpec;
  readonly policy?: RunRequest["policy"];
  readonly secrets?: RunRequest["secrets"];
  /** Whether `up` was asked to read the live objects first. */
  readonly refresh?: boolean;
}

/**
 * A Runner without an engine: records what it was asked, emits a few events, answers with
 * outputs shaped like the real stack's. Hooks make it slow, fail, or die for a test.
 */
export class FakeRunner implements Runner {
  readonly runs: RecordedRun[] = [];
  /** Milliseconds each `up`/`destroy` takes. */
  delayMs = 0;
  /** Called at the start of each `up`/`destroy`; may throw (a dying run) or wait. */
  onRun: ((run: RecordedRun) => Promise<void> | void) | undefined;
  /** What `drift` finds, by project name (default nothing); an Error is thrown instead. */
  readonly drifted = new Map<string, readonly Drift[] | Error>();
  /** The engine's refusal for stacks matching a project name. */
  readonly refuse = new Map<string, string>();
  private active = 0;
  private readonly activeStacks = new Set<string>();
  /** Most runs seen at the same time. */
  maxConcurrent = 0;
  /** Stacks that ever had two runs at the same time (must stay empty). */
  readonly overlapped = new Set<string>();

  ups(stack?: string): RecordedRun[] {
    return this.runs.filter((run) => run.kind === "up" && (stack === undefined || run.stack === stack));
  }

  async up(request: RunRequest): Promise<RunResult> {
    return this.run("up", request);
  }

  async destroy(request: RunRequest): Promise<RunResult> {
    return this.run("destroy", request);
  }

  async recover(stack: StackRef, onEvent: (event: RunEvent) => void): Promise<void> {
    this.runs.push({ kind: "recover", stack: `${stack.project}.${stack.zone.name}` });
    onEvent({ type: "log", message: "recovered" });
  }

  async drift(request: RunRequest): Promise<Drift[]> {
    this.runs.push({ kind: "drift", stack: `${request.project}.${request.zone.name}`, spec: request.spec });
    const found = this.drifted.get(request.project) ?? [];
    if (found instanceof Error) throw found;
    return [...found];
  }

  private async run(kind: "up" | "destroy", request: RunRequest): Promise<RunResult> {
    const record: RecordedRun = {
      kind,
      stack: `${request.project}.${request.zone.name}`,
      spec: request.spec,
      policy: request.policy,
      secrets: request.secrets,
      ...(request.refresh ? { refresh: true } : {}),
    };
    this.runs.push(record);
    this.active++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    if (this.activeStacks.has(record.stack)) this.overlapped.add(record.stack);
    this.activeStacks.add(record.stack);
    try {
      await this.onRun?.(record);
      request.onEvent({
        type: "resource",
        op: "create",
        urn: `urn:pulumi:${record.stack}::pluskube-project::pluskube:index:TenantNamespace::${request.project}`,
        resourceType: "pluskube:index:TenantNamespace",
        status: "started",
      });
      if (this.delayMs > 0) await abortableDelay(this.delayMs, request.signal);
      const refusal = this.refuse.get(request.project);
      if (refusal) {
        request.onEvent({
          type: "policy",
          policy: "tenant-quota",
          message: refusal,
          enforcement: "mandatory",
        });
        throw new EngineFailure(refusal);
      }
      request.onEvent({
        type: "resource",
        op: "create",
        urn: `urn:pulumi:${record.stack}::pluskube-project::pluskube:index:TenantNamespace::${request.project}`,
        resourceType: "pluskube:index:TenantNamespace",
        status: "done",
      });
      request.onEvent({ type: "summary", result: "done", changes: { create: 1 } });
      return { outputs: kind === "up" ? projectOutputs(request) : {}, changes: { create: 1 } };
    } finally {
      this.active--;
      this.activeStacks.delete(record.stack);
    }
  }
}

/** Waits `ms`, or stops early with the signal's reason, as the engine stops on SIGINT. */
function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/** Outputs shaped like `composeProject`'s (stacks/project/compose.ts). */
function projectOutputs(request: RunRequest): Record<string, unknown> {
  const byName = <T>(items: readonly { name: string }[], value: (name: string) => T) =>
    Object.fromEntries(items.map((item) => [item.name, value(item.name)]));
  const url = (app: string) => `https://${app}-a1b2c3.${request.zone.baseDomain}`;
  return {
    namespace: request.project,
    appUrls: byName(request.spec.apps, url),
    appAllUrls: byName(request.spec.apps, (app) => [url(app)]),
    databaseSecrets: byName(request.spec.databases, (db) => `database-${db}`),
    bucketSecrets: byName(request.spec.buckets, (bucket) => `bucket-${bucket}`),
    volumeClaims: byName(
      request.spec.volumes.filter((volume) => volume.kind === "persistent"),
      (volume) => `volume-${volume}`,
    ),
  };
}
