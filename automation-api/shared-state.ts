import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { toSpecIssues } from "../spec/errors.js";
import {
  STATE_BACKEND_KINDS,
  STATE_TABLE_DEFAULT,
  writePassfile,
  type StateBackend,
  type StateBackendKind,
} from "./runner/state-backend.js";

/** Where stack state lives, as configured (DESIGN.md "Stacks"; README "Several instances"). */
export interface StateConfig {
  /** `file` (default): one instance; `postgres`: state every instance reaches. */
  readonly backend: StateBackendKind;
  /** `postgres`: the state's database; the service's own (`DATABASE_URL`) when absent. */
  readonly databaseUrl: string | undefined;
  /** `postgres`: the state's table. Default `pulumi_state`. */
  readonly table: string;
  /** The passphrase of the stacks' secrets, shared by every instance (never generated for shared state). */
  readonly passphrase: string | undefined;
  /** A file holding that passphrase, instead of `passphrase`. */
  readonly passphraseFile: string | undefined;
}

const StateEnvSchema = z.object({
  PLUSKUBE_STATE_BACKEND: z.enum(STATE_BACKEND_KINDS).default("file"),
  PLUSKUBE_STATE_DATABASE_URL: z.string().min(1).optional(),
  PLUSKUBE_STATE_TABLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL name such as pulumi_state")
    .default(STATE_TABLE_DEFAULT),
  PLUSKUBE_STATE_PASSPHRASE: z.string().min(16, "must be at least 16 characters").optional(),
  PLUSKUBE_STATE_PASSPHRASE_FILE: z.string().min(1).optional(),
});

/**
 * Reads the state settings of `env`, refusing combinations that would let instances drift
 * apart: shared state without a shared passphrase (each machine would otherwise make its own,
 * and no instance could open another's secrets), or without `PLUSKUBE_SECRETS_KEY` (members'
 * secret values, sealed by one instance, opened by another).
 */
export function readStateConfig(env: NodeJS.ProcessEnv): StateConfig {
  const result = StateEnvSchema.safeParse(env);
  if (!result.success) {
    const problems = toSpecIssues(result.error).map((issue) => `${issue.path}: ${issue.message}`);
    throw new Error(`invalid service configuration: ${problems.join("; ")}`);
  }
  const values = result.data;
  const config: StateConfig = {
    backend: values.PLUSKUBE_STATE_BACKEND,
    databaseUrl: values.PLUSKUBE_STATE_DATABASE_URL,
    table: values.PLUSKUBE_STATE_TABLE,
    passphrase: values.PLUSKUBE_STATE_PASSPHRASE,
    passphraseFile: values.PLUSKUBE_STATE_PASSPHRASE_FILE,
  };
  const refuse = (why: string) => {
    throw new Error(`invalid service configuration: ${why}`);
  };
  if (config.backend === "file") {
    if (config.passphrase !== undefined || config.passphraseFile !== undefined) {
      refuse(
        "PLUSKUBE_STATE_PASSPHRASE(_FILE) is for shared state (PLUSKUBE_STATE_BACKEND=postgres); the file backend keeps the passphrase generated in the data folder",
      );
    }
    return config;
  }
  if (config.passphrase === undefined && config.passphraseFile === undefined) {
    refuse(
      `PLUSKUBE_STATE_BACKEND=${config.backend} needs PLUSKUBE_STATE_PASSPHRASE or PLUSKUBE_STATE_PASSPHRASE_FILE, the same for every instance: shared state is never encrypted under a passphrase made on one machine`,
    );
  }
  if (config.passphrase !== undefined && config.passphraseFile !== undefined) {
    refuse("set PLUSKUBE_STATE_PASSPHRASE or PLUSKUBE_STATE_PASSPHRASE_FILE, not both");
  }
  if (!env["PLUSKUBE_SECRETS_KEY"]) {
    refuse(
      `PLUSKUBE_STATE_BACKEND=${config.backend} needs PLUSKUBE_SECRETS_KEY, the same for every instance: members' secret values sealed by one instance must open on the others`,
    );
  }
  return config;
}

/** A shared backend ready for the engine: where it is, and the passphrase file of its secrets. */
export interface SharedState {
  readonly backend: StateBackend;
  readonly passphraseFile: string;
}

/**
 * Gets shared state ready on this machine: the passphrase and the database password as files
 * of mode 0600 in the data folder (so that neither sits in the engine's URL or environment).
 * `undefined` for the file backend, which `engineEnv` sets up itself.
 */
export async function prepareSharedState(
  config: StateConfig,
  context: { readonly dataDir: string; readonly databaseUrl: string },
): Promise<SharedState | undefined> {
  if (config.backend === "file") return undefined;
  const passphraseFile = config.passphraseFile ?? join(context.dataDir, "state-passphrase");
  if (config.passphraseFile !== undefined && !existsSync(config.passphraseFile)) {
    throw new Error(`PLUSKUBE_STATE_PASSPHRASE_FILE ${config.passphraseFile} does not exist`);
  }
  if (config.passphrase !== undefined) writeSecret(passphraseFile, config.passphrase);

  const databaseUrl = config.databaseUrl ?? context.databaseUrl;
  const passfile = join(context.dataDir, "state-database.pgpass");
  writePassfile(databaseUrl, passfile);
  return { backend: { kind: "postgres", databaseUrl, table: config.table, passfile }, passphraseFile };
}

/**
 * Writes `value` to `file` (mode 0600) whole before it replaces what a previous start wrote, so
 * a changed setting follows and no engine reads half a file.
 */
function writeSecret(file: string, value: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const next = `${file}.next`;
  writeFileSync(next, `${value}\n`, { mode: 0o600 });
  renameSync(next, file);
}

/** One line for the start log: where the stacks' state is (never a password). */
export function describeState(config: StateConfig): string {
  if (config.backend === "postgres") {
    const where = config.databaseUrl ? "PLUSKUBE_STATE_DATABASE_URL" : "the service's database";
    return `PostgreSQL, table ${config.table} in ${where}, shared by every instance`;
  }
  return "the data folder's file backend (one instance)";
}
