import type { ProjectSpec } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { PolicyShare } from "../domain/quota.js";
import type { ProjectSecrets } from "../../stacks/project/secrets.js";

/**
 * The service's one door to the Pulumi engine. Jobs call it; HTTP tests replace it with a fake,
 * integration tests never do.
 */
export interface Runner {
  /** Deploys the spec to its stack `<project>.<zone>`, creating the stack when missing. */
  up(request: RunRequest): Promise<RunResult>;
  /** Deletes everything of the stack and then the stack itself; succeeds when there is no stack. */
  destroy(request: RunRequest): Promise<RunResult>;
  /**
   * Brings a stack left behind by a run that died back to a runnable state: releases its lock,
   * drops pending operations from its state and refreshes it from the cluster.
   */
  recover(stack: StackRef, onEvent: (event: RunEvent) => void): Promise<void>;
  /**
   * What `up` would change after reading the live objects from the cluster (a preview with
   * refresh, which writes nothing): the drift of a stack whose spec is deployed. Empty when the
   * cluster matches the stack, or when there is no stack.
   */
  drift(request: RunRequest): Promise<Drift[]>;
}

/** One resource whose live object differs from what its stack deploys, and what `up` would do. */
export interface Drift {
  readonly urn: string;
  readonly resourceType: string;
  /** The engine's step: `create` (the object is gone), `update`, `replace`, `delete`. */
  readonly op: string;
  /** Top-level properties that differ, when the provider says. */
  readonly properties?: readonly string[];
}

export interface StackRef {
  readonly project: string;
  readonly zone: ZoneSpec;
}

/** What the policy pack is told about the stack it checks. */
export interface PolicyContext {
  /** What the user's share leaves for this stack; a dimension left out is not limited. */
  readonly share: Partial<PolicyShare>;
  readonly namespace: string;
  readonly baseDomain: string;
  readonly verifiedDomains: readonly string[];
  /** Whether Ingresses must carry TLS: only zones with a certificate issuer can give it. */
  readonly requireTls: boolean;
  /** Registries images may come from; empty means any. */
  readonly allowedRegistries: readonly string[];
  /**
   * Highest connection limit a database's role may have: the zone's
   * `limits.connectionsPerDatabase`. Absent: any positive limit.
   */
  readonly maxConnectionLimit?: number;
}

export interface RunRequest extends StackRef {
  readonly spec: ProjectSpec;
  /** The apps' secret variables and the registries' credentials, decrypted for this run only. */
  readonly secrets?: ProjectSecrets;
  readonly policy: PolicyContext;
  readonly onEvent: (event: RunEvent) => void;
  /**
   * Aborted when the service stops and the run's grace period is over: the engine is asked to
   * stop (SIGINT, as Ctrl-C), and the run is handed back to the queue.
   */
  readonly signal?: AbortSignal;
  /** Reads the live objects before `up`, so that it repairs what changed behind the stack's back. */
  readonly refresh?: boolean;
}

/** An engine event in the few shapes the service stores and streams. */
export type RunEvent =
  | {
      readonly type: "resource";
      readonly op: string;
      readonly urn: string;
      readonly resourceType: string;
      readonly status: "started" | "done" | "failed";
    }
  | {
      readonly type: "diagnostic";
      readonly severity: string;
      readonly message: string;
      readonly urn?: string;
    }
  | {
      readonly type: "policy";
      readonly policy: string;
      readonly message: string;
      readonly urn?: string;
      readonly enforcement: string;
    }
  | { readonly type: "summary"; readonly result: string; readonly changes: Record<string, number> }
  | { readonly type: "log"; readonly message: string };

export interface RunResult {
  /** Stack outputs, secrets left out. */
  readonly outputs: Record<string, unknown>;
  readonly changes: Record<string, number>;
}

/**
 * The engine ran and said no: a policy refused the stack, the cluster refused a resource, a
 * deployment never became ready. Final for the operation; retrying would give the same answer.
 * Anything else a runner throws means the run died and is retried after recovery.
 */
export class EngineFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineFailure";
  }
}

/** An EngineFailure the service raises itself, in words written for the member (no engine text). */
export class ServiceRefusal extends EngineFailure {
  constructor(message: string) {
    super(message);
    this.name = "ServiceRefusal";
  }
}
