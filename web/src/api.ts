import { serverEvents, type ServerEvent } from "../../cli/http/event-stream.js";

/** One field the service (or the form's own check) found at fault, at a path such as `cpu`. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** An `application/problem+json` answer as the service sends it. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly FieldIssue[];
  readonly [extension: string]: unknown;
}

/** A refusal or failure of the API, with its problem document when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `the service answered ${status}`);
    this.name = "ApiError";
  }

  /** The problem's slug, such as `quota-exceeded`. */
  get slug(): string | undefined {
    return this.problem.type?.replace(/^urn:pluskube:problem:/, "");
  }
}

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

/** The CSRF token of the current session, sent with every change (the cookie itself is HttpOnly). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the service says the session has ended (401). */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

/** A request to the API with the session cookie; a problem answer throws `ApiError`. */
export async function send(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  if (response.status >= 400) {
    const problem = await problemOf(response);
    if (response.status === 401 && path !== "/v1/session") onSignedOut?.();
    throw new ApiError(response.status, problem);
  }
  return response;
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const parsed: unknown = await response.json();
    if (typeof parsed === "object" && parsed !== null) return parsed as Problem;
  } catch {
    // Not JSON: the status says enough.
  }
  return { status: response.status, detail: `the service answered ${response.status}` };
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await send("GET", path, undefined, signal)).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
  const response = await send(method, path, body);
  return response.status === 204 ? undefined : ((await response.json()) as T);
}

/** A path segment as the API expects it (names are DNS labels, but never trust that). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The events of an operation as they stream; resumes from `after` when given. */
export async function* operationEvents(id: string, signal: AbortSignal): AsyncGenerator<ServerEvent> {
  const response = await send("GET", `/v1/operations/${seg(id)}/events`, undefined, signal);
  if (!response.body) return;
  yield* serverEvents(response.body);
}

/** A usage figure of the fair share, in the API's one vocabulary. */
export interface Usage {
  readonly chunks: number;
  readonly volumeGB: number;
  readonly databaseGB: number;
  readonly objectGB: number;
}

export interface Zone {
  readonly name: string;
  readonly baseDomain: string;
  readonly chunk: { readonly cpu: string; readonly memory: string; readonly disk: string };
  readonly allocatable: Usage;
  readonly knative: boolean;
}

export interface Quota {
  readonly zone: string;
  readonly weight: number;
  readonly activeUsers: number;
  readonly share: Usage;
  readonly used: Usage;
  readonly free: Usage;
  readonly zoneFree: Usage;
}

export interface Project {
  readonly name: string;
  readonly zone: string;
  readonly status: "active" | "deleting";
  readonly revision: number;
  readonly appliedRevision: number;
  readonly counts: Readonly<Record<"apps" | "databases" | "buckets" | "volumes", number>>;
  readonly usage: Usage;
}

export interface Operation {
  readonly id: string;
  readonly status: "queued" | "running" | "succeeded" | "failed";
  readonly kind: "update" | "destroy";
  readonly request: string;
  readonly project: string;
  readonly zone: string;
  readonly message: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface Token {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scope: "user" | "read" | "deploy";
  readonly project?: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly expiresAt: string | null;
}

export interface Me {
  readonly user: { readonly name: string; readonly admin: boolean; readonly weight: number };
  readonly token?: Token;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** An item of a project as the API answers it: its spec, and what the last run reported. */
export type Item<T> = T & {
  readonly deployed: boolean;
  readonly outputs?: {
    readonly url?: string;
    readonly urls?: readonly string[];
    readonly [key: string]: unknown;
  };
};

export interface AppStatus {
  readonly replicas: { readonly desired: number; readonly ready: number; readonly available: number };
  readonly pods: readonly {
    readonly name: string;
    readonly phase: string;
    readonly ready: boolean;
    readonly restarts: number;
    readonly waiting?: { readonly reason: string; readonly explanation?: string };
  }[];
  readonly problems: readonly {
    readonly reason: string;
    readonly message?: string;
    readonly explanation?: string;
    readonly object: string;
  }[];
  readonly events: readonly {
    readonly type: string;
    readonly reason: string;
    readonly message?: string;
    readonly object: { readonly kind: string; readonly name: string };
    readonly count: number;
    readonly lastSeen?: string;
  }[];
}

export interface AppMetrics {
  readonly total: { readonly cpuMillis: number; readonly memoryBytes: number };
}

/** The app's last hour as the service sampled it (`/metrics/history`). */
export interface AppMetricsHistory {
  readonly intervalSeconds: number;
  readonly windowSeconds: number;
  readonly samples: readonly {
    readonly at: string;
    readonly cpuMillis: number;
    readonly memoryBytes: number;
  }[];
}
