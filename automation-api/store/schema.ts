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
