import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { toSpecIssues } from "../spec/errors.js";
import { RETENTION_DAYS_DEFAULT } from "./jobs/retention.js";
import { DEFAULT_USAGE_SAMPLE_SECONDS } from "./store/app-usage.js";
import { readStateConfig, type StateConfig } from "./shared-state.js";

/** The service's settings, read once from the environment by `main.ts`. */
export interface ServiceConfig {
  readonly host: string;
  readonly port: number;
  /** The service's PostgreSQL; the local zone's when absent. */
  readonly databaseUrl: string | undefined;
  /** State backend, passphrase, work folders and the admin token file live here. */
  readonly dataDir: string;
  /** Stacks run side by side, at most this many per process. */
  readonly workers: number;
  /** Compiled policy pack folder; runs go without a pack when absent. */
  readonly policyPackDir: string | undefined;
  /** Registries apps may pull from; empty allows any. */
  readonly allowedRegistries: readonly string[];
  /** Requests per token, and failed authentications per client address, per minute. */
  readonly rateLimit: { readonly limit: number; readonly authFailureLimit: number };
  /** Proxies whose X-Forwarded-For names the client (express's `trust proxy`); none when absent. */
  readonly trustProxy: string | number | undefined;
  /** Open event streams per token and per service process. */
  readonly streams: { readonly perToken: number; readonly perInstance: number };
  /** Longest lifetime of project tokens in seconds (and their lifetime when none is asked); none when absent. */
  readonly projectTokenMaxLifetimeSeconds: number | undefined;
  /** Days finished operations are kept, with their runs and events. Default 30. */
  readonly retentionDays: number;
  /**
   * Key that encrypts members' secret variables and registry passwords at rest (32 bytes,
   * base64 or hex). Absent: one generated into `<dataDir>/secrets.key`, for a single instance.
   */
  readonly secretsKey: string | undefined;
  /** On SIGTERM, seconds running runs get to finish before they are handed back. Default 30. */
  readonly shutdownGraceSeconds: number;
  /**
   * Where `/metrics` listens, apart from the API: a port (0 for any free one) on `host`
   * (default 127.0.0.1). Absent: no metrics listener.
   */
  readonly metrics: { readonly port: number; readonly host: string } | undefined;
  /** Seconds between samples of each app's CPU and memory, kept for its last hour. Default 60. */
  readonly usageSampleSeconds: number;
  /** Where stack state lives: the data folder's file backend, or shared by several instances. */
  readonly state: StateConfig;
}

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PLUSKUBE_HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z.string().min(1).optional(),
  PLUSKUBE_DATA_DIR: z.string().min(1).optional(),
  PLUSKUBE_WORKERS: z.coerce.number().int().min(1).max(64).default(2),
  PLUSKUBE_POLICY_PACK: z.string().min(1).optional(),
  PLUSKUBE_ALLOWED_REGISTRIES: z.string().default(""),
  PLUSKUBE_PROJECT_TOKEN_MAX_LIFETIME: z.coerce.number().int().positive().optional(),
  PLUSKUBE_TRUST_PROXY: z.string().min(1).optional(),
  PLUSKUBE_RATE_LIMIT: z.coerce.number().int().positive().default(600),
  PLUSKUBE_AUTH_FAILURE_LIMIT: z.coerce.number().int().positive().default(30),
  PLUSKUBE_STREAMS_PER_TOKEN: z.coerce.number().int().positive().default(5),
  PLUSKUBE_STREAMS_PER_INSTANCE: z.coerce.number().int().positive().default(500),
  PLUSKUBE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(RETENTION_DAYS_DEFAULT),
  PLUSKUBE_SECRETS_KEY: z.string().min(1).optional(),
  PLUSKUBE_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  PLUSKUBE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PLUSKUBE_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  PLUSKUBE_USAGE_SAMPLE_SECONDS: z.coerce
    .number()
    .int()
    .min(5)
    .max(600)
    .default(DEFAULT_USAGE_SAMPLE_SECONDS),
});

export function readConfig(env: NodeJS.ProcessEnv): ServiceConfig {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const problems = toSpecIssues(result.error).map((issue) => `${issue.path}: ${issue.message}`);
    throw new Error(`invalid service configuration: ${problems.join("; ")}`);
  }
  const values = result.data;
  return {
    host: values.PLUSKUBE_HOST,
    port: values.PORT,
    databaseUrl: values.DATABASE_URL,
    dataDir: values.PLUSKUBE_DATA_DIR ?? join(homedir(), ".local", "share", "pluskube"),
    workers: values.PLUSKUBE_WORKERS,
    policyPackDir: values.PLUSKUBE_POLICY_PACK,
    allowedRegistries: values.PLUSKUBE_ALLOWED_REGISTRIES.split(",")
      .map((entry) => entry.trim())
      .filter(Boolean),
    projectTokenMaxLifetimeSeconds: values.PLUSKUBE_PROJECT_TOKEN_MAX_LIFETIME,
    trustProxy:
      values.PLUSKUBE_TRUST_PROXY && /^\d+$/.test(values.PLUSKUBE_TRUST_PROXY)
        ? Number(values.PLUSKUBE_TRUST_PROXY)
        : values.PLUSKUBE_TRUST_PROXY,
    rateLimit: { limit: values.PLUSKUBE_RATE_LIMIT, authFailureLimit: values.PLUSKUBE_AUTH_FAILURE_LIMIT },
    streams: {
      perToken: values.PLUSKUBE_STREAMS_PER_TOKEN,
      perInstance: values.PLUSKUBE_STREAMS_PER_INSTANCE,
    },
    retentionDays: values.PLUSKUBE_RETENTION_DAYS,
    secretsKey: values.PLUSKUBE_SECRETS_KEY,
    shutdownGraceSeconds: values.PLUSKUBE_SHUTDOWN_GRACE_SECONDS,
    metrics:
      values.PLUSKUBE_METRICS_PORT === undefined
        ? undefined
        : { port: values.PLUSKUBE_METRICS_PORT, host: values.PLUSKUBE_METRICS_HOST },
    usageSampleSeconds: values.PLUSKUBE_USAGE_SAMPLE_SECONDS,
    state: readStateConfig(env),
  };
}
