import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { ProjectSpec } from "../../spec/project.js";

/** Row types of the service's tables; column names are camelCase here and snake_case in PostgreSQL. */

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export interface UsersTable {
  id: Generated<string>;
  name: string;
  isAdmin: ColumnType<boolean, boolean | undefined, boolean>;
  /** Weight in the fair share of every zone; operators raise it for users who donate hardware. */
  weight: ColumnType<number, number | undefined, number>;
  createdAt: CreatedAt;
  /** Set while an administrator has disabled the user: none of their tokens authenticate. */
  disabledAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export const TokenScope = { user: "user", read: "read", deploy: "deploy" } as const;
export type TokenScope = (typeof TokenScope)[keyof typeof TokenScope];

export interface TokensTable {
  id: Generated<string>;
  /** SHA-256 (hex) of the whole token; the token itself is never stored. */
  hash: string;
  /** First characters of the token, enough to recognise it in a list. */
  prefix: string;
  name: string;
  userId: string;
  /** Set for project tokens, which reach only this project. */
  projectId: string | null;
  scope: TokenScope;
  createdAt: CreatedAt;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** The token is refused from this time on; null: it does not expire. */
  expiresAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export const ProjectStatus = { active: "active", deleting: "deleting" } as const;
export type ProjectStatus = (typeof ProjectStatus)[keyof typeof ProjectStatus];

export interface ProjectsTable {
  id: Generated<string>;
  name: string;
  zone: string;
  userId: string;
  /** The desired ProjectSpec, with defaults filled in. */
  spec: Json<unknown>;
  /** Increases with every accepted change of the desired spec. */
  revision: number;
  /** Revision of the spec the last successful run deployed (0: never deployed). */
  appliedRevision: ColumnType<number, number | undefined, number>;
  status: ProjectStatus;
  /** Stack outputs of the last successful run (URLs, secret names). */
  outputs: Json<Record<string, unknown>>;
  /** Set when a run died; the next run recovers the stack (cancel, clear pending operations, refresh) first. */
  needsRecovery: ColumnType<boolean, boolean | undefined, boolean>;
  createdAt: CreatedAt;
  updatedAt: ColumnType<Date, Date | undefined, Date>;
}

export const OperationStatus = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
} as const;
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];

export const OperationKind = { update: "update", destroy: "destroy" } as const;
export type OperationKind = (typeof OperationKind)[keyof typeof OperationKind];

export interface OperationsTable {
  id: Generated<string>;
  userId: string;
  projectId: string | null;
  /** Kept after the project is gone so the operation stays readable. */
  project: string;
  zone: string;
  kind: OperationKind;
  /** What was asked, e.g. `PUT apps/web`. */
  request: string;
  /** Project spec revision this operation produced; a run at this revision or later covers it. */
  revision: number;
  status: OperationStatus;
  message: string | null;
  createdAt: CreatedAt;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export const RunStatus = {
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  /** The attempt stopped without finishing (its worker died or it threw) and will be retried. */
  interrupted: "interrupted",
  /** A newer request made the run's result irrelevant before it started the engine. */
  skipped: "skipped",
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** One attempt of a job at one stack. */
export interface RunsTable {
  id: Generated<string>;
  jobId: string;
  projectId: string | null;
  stack: string;
  kind: OperationKind;
  revision: number;
  attempt: number;
  status: RunStatus;
  message: string | null;
  worker: string;
  startedAt: CreatedAt;
  finishedAt: Date | null;
}

export interface OperationRunsTable {
  operationId: string;
  runId: string;
}

export interface EventsTable {
  id: Generated<string>;
  runId: string;
  at: CreatedAt;
  type: string;
  data: Json<Record<string, unknown>>;
}

export const ReconcileResult = {
  /** The cluster matched the stack. */
  inSync: "in-sync",
  /** Drift was found and an update repaired it. */
  repaired: "repaired",
  /** Drift could not be looked for or repaired. */
  failed: "failed",
} as const;
export type ReconcileResult = (typeof ReconcileResult)[keyof typeof ReconcileResult];

/** When each project's stack is next compared with its cluster, and how the last time went. */
export interface ReconcilesTable {
  projectId: string;
  /** The scheduler enqueues a reconcile once this time has passed. */
  nextAt: Date;
  lastAt: Date | null;
  lastResult: ReconcileResult | null;
  /** What drifted, or why it failed; null when in sync. */
  lastMessage: string | null;
  /** The operation of the last repair, which the member sees in the project's operations. */
  lastOperationId: string | null;
  /** Failed reconciles in a row; each one doubles the wait before the next (capped). */
  failures: ColumnType<number, number | undefined, number>;
}

/** Requests counted against a rate limit key (a token, an address) in one fixed window. */
export interface RateLimitsTable {
  key: string;
  windowStart: Date;
  count: number;
}

/** A member read a claim's credentials from its Secret: who, with which token, what and when. */
export interface CredentialRevealsTable {
  id: Generated<string>;
  projectId: string;
  userId: string;
  /** The token used; null once that token is gone. */
  tokenId: string | null;
  kind: "database" | "bucket";
  /** Name of the database or bucket in the project. */
  item: string;
  revealedAt: CreatedAt;
}

/** One secret variable of an app; the value only sealed, never in plain text. */
export interface SecretEnvTable {
  projectId: string;
  app: string;
  name: string;
  /** The value sealed with the service's secrets key, bound to `<project id>/<app>/<name>`. */
  sealed: string;
  setAt: ColumnType<Date, Date | undefined, Date>;
}

/** Credentials of one private registry of a project; username and password sealed together. */
export interface RegistryCredentialsTable {
  projectId: string;
  /** Registry host such as `ghcr.io` or `registry.example.org:5000`. */
  server: string;
  /** `{"username","password"}` sealed with the service's secrets key, bound to project and server. */
  sealed: string;
  setAt: ColumnType<Date, Date | undefined, Date>;
}

/** `bigint` columns: node-postgres reads them as text, written as numbers. */
type Int8 = ColumnType<string, number, number>;

/** The last measurement of one project database against its size limit, and what the service did. */
export interface DatabaseLimitsTable {
  projectId: string;
  /** The database's name within the project. */
  database: string;
  writes: "accepted" | "refused";
  /** The limit the refusal's message names; null while writes are accepted. */
  refusedAtLimitBytes: ColumnType<string | null, number | null, number | null>;
  sizeBytes: Int8;
  limitBytes: Int8;
  measuredAt: Date;
  /** When `writes` last changed. */
  changedAt: Date;
  /** Why the last attempt to refuse or restore writes failed; null when it did not. */
  error: string | null;
}

/** A change of a database's writes (or a failure to make it), as its member reads it. */
export interface DatabaseLimitEventsTable {
  id: Generated<string>;
  projectId: string;
  database: string;
  at: CreatedAt;
  type: "writes-refused" | "writes-restored" | "enforcement-failed";
  message: string;
  sizeBytes: Int8;
  limitBytes: Int8;
}

export const DomainState = { pending: "pending", verified: "verified", lapsed: "lapsed" } as const;
export type DomainState = (typeof DomainState)[keyof typeof DomainState];

/** A custom domain a project claims, and how far its DNS record has been seen. */
export interface ProjectDomainsTable {
  projectId: string;
  /** The project's zone: a domain is verified for at most one project in a zone. */
  zone: string;
  /** `shop.example.org`, or a wildcard `*.example.org`. */
  domain: string;
  state: DomainState;
  createdAt: CreatedAt;
  /** When the record was last looked up; null before the first look. */
  checkedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** When the periodic check looks next. */
  nextCheckAt: ColumnType<Date, Date | undefined, Date>;
  /** When it was last verified (set while verified, kept after a lapse). */
  verifiedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  lapsedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Checks in a row that did not find the record while verified. */
  missedChecks: ColumnType<number, number | undefined, number>;
  /** What the last check found wrong, in words for the member; null when it found the record. */
  problem: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The random token a project publishes in its domains' TXT records. */
export interface DomainTokensTable {
  projectId: string;
  token: string;
  createdAt: CreatedAt;
}

/** A signed-in browser of the web UI; the cookie's secret itself is never stored. */
export interface WebSessionsTable {
  /** SHA-256 of the cookie's secret. */
  hash: string;
  /** The token the member signed in with; the session ends with it. */
  tokenId: string;
  /** What the `X-CSRF-Token` header of every change made with the cookie must say. */
  csrf: string;
  createdAt: CreatedAt;
  expiresAt: Date;
}

/** What one app of a project used at one moment, summed over its pods; kept for an hour. */
export interface AppUsageTable {
  projectId: string;
  app: string;
  /** The start of the sampling slot, so that two processes sampling one slot write one row. */
  at: Date;
  cpuMillis: number;
  memoryBytes: Int8;
  /** Pods the metrics API reported. */
  pods: number;
}

export interface Database {
  users: UsersTable;
  tokens: TokensTable;
  projects: ProjectsTable;
  operations: OperationsTable;
  runs: RunsTable;
  operationRuns: OperationRunsTable;
  events: EventsTable;
  rateLimits: RateLimitsTable;
  credentialReveals: CredentialRevealsTable;
  secretEnv: SecretEnvTable;
  registryCredentials: RegistryCredentialsTable;
  reconciles: ReconcilesTable;
  databaseLimits: DatabaseLimitsTable;
  databaseLimitEvents: DatabaseLimitEventsTable;
  projectDomains: ProjectDomainsTable;
  domainTokens: DomainTokensTable;
  webSessions: WebSessionsTable;
  appUsage: AppUsageTable;
}

export type UserRow = Selectable<UsersTable>;
export type TokenRow = Selectable<TokensTable>;
/** A project as stored, its spec not yet read through the schema. */
export type StoredProjectRow = Selectable<ProjectsTable>;
/** A project as the service uses it: its spec parsed once, when the row was read. */
export type ProjectRow = Omit<StoredProjectRow, "spec"> & { readonly spec: ProjectSpec };
export type OperationRow = Selectable<OperationsTable>;
export type RunRow = Selectable<RunsTable>;
export type EventRow = Selectable<EventsTable>;
export type NewOperation = Insertable<OperationsTable>;
export type CredentialRevealRow = Selectable<CredentialRevealsTable>;
export type SecretEnvRow = Selectable<SecretEnvTable>;
export type RegistryCredentialRow = Selectable<RegistryCredentialsTable>;
export type ReconcileRow = Selectable<ReconcilesTable>;
export type DatabaseLimitRow = Selectable<DatabaseLimitsTable>;
export type DatabaseLimitEventRow = Selectable<DatabaseLimitEventsTable>;
export type ProjectDomainRow = Selectable<ProjectDomainsTable>;
