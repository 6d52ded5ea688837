import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Where the engine keeps stack state (DESIGN.md "Stacks"): the local file backend under one
 * machine's data folder for a single instance, or a store every instance reaches when several
 * share the work: PostgreSQL through the engine's own `postgres://` backend. (A zone's S3
 * through the engine's `s3://` backend is not offered: with SeaweedFS 4.48 the engine writes
 * a stack's checkpoint, then fails to read it back, "unexpected end of JSON input".)
 */
export type StateBackend =
  | { readonly kind: "file" }
  | {
      readonly kind: "postgres";
      /** The database as node-postgres reads its URL (`postgres://` or `postgresql://`). */
      readonly databaseUrl: string;
      /** Table the engine keeps its files in, made by the engine on first use. */
      readonly table: string;
      /**
       * A password file (`.pgpass` format, mode 0600) holding the URL's password, which then stays
       * out of the URL the engine is given and may print; see `writePassfile`.
       */
      readonly passfile?: string;
    };

export const STATE_BACKEND_KINDS = ["file", "postgres"] as const;
export type StateBackendKind = (typeof STATE_BACKEND_KINDS)[number];

/** Table of the state in the `postgres` backend (the engine's own default name). */
export const STATE_TABLE_DEFAULT = "pulumi_state";

/** Whether stacks' state lives where several service instances reach it. */
export function isSharedState(backend: StateBackend): boolean {
  return backend.kind !== "file";
}

/**
 * The engine's `postgres://` backend URL for a database URL as the service reads it. The engine
 * connects through Go's lib/pq, which wants the `postgres://` scheme and, unlike node-postgres,
 * defaults to TLS (`sslmode=require`): a URL without `sslmode` gets `disable`, so that the engine
 * connects the way the service does with the same URL.
 */
export function postgresBackendUrl(
  databaseUrl: string,
  table: string = STATE_TABLE_DEFAULT,
  passfile?: string,
): string {
  const url = new URL(databaseUrl);
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(
      `the state database URL must start with postgres:// or postgresql://, got ${url.protocol}//`,
    );
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new Error(
      `the state table must be a lower-case SQL name such as ${STATE_TABLE_DEFAULT}, got ${table}`,
    );
  }
  const params = new URLSearchParams(url.search);
  if (!params.has("sslmode")) params.set("sslmode", "disable");
  params.set("table", table);
  if (passfile) params.set("passfile", passfile);
  const password = url.password && !passfile ? `:${url.password}` : "";
  const auth = url.username ? `${url.username}${password}@` : "";
  return `postgres://${auth}${url.host}${url.pathname}?${params.toString()}`;
}

/**
 * What the engine's environment needs for a shared backend beyond the local defaults: the
 * backend's URL, the passphrase file, and the state's own secrets settings as
 * the fallback, since an instance's work folder may hold no settings yet for a stack that another
 * instance made (every instance shares the passphrase, so the state's settings open it).
 * Nothing for the file backend.
 */
export function sharedStateEnv(backend: StateBackend, passphraseFile: string): Record<string, string> {
  if (backend.kind === "file") return {};
  return {
    PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile,
    PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true",
    PULUMI_BACKEND_URL: postgresBackendUrl(backend.databaseUrl, backend.table, backend.passfile),
  };
}

/**
 * Writes the password of a database URL to `file` in the `.pgpass` format (mode 0600), for
 * `postgresBackendUrl(url, table, file)`. Rewritten on every start, so a changed password follows.
 */
export function writePassfile(databaseUrl: string, file: string): void {
  const url = new URL(databaseUrl);
  const escape = (text: string) => text.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  const field = (text: string) => escape(decodeURIComponent(text));
  const line = [
    field(url.hostname.replace(/^\[|\]$/g, "") || "localhost"),
    url.port || "5432",
    field(url.pathname.slice(1) || "*"),
    field(url.username || "*"),
    field(url.password),
  ].join(":");
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${line}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
