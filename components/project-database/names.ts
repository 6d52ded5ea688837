import { createHash } from "node:crypto";

/** PostgreSQL truncates identifiers beyond 63 bytes (NAMEDATALEN - 1). */
export const POSTGRES_IDENTIFIER_MAX = 63;

/**
 * Role and database name of a project's database: `<project>_<name>` with `-` turned into `_`,
 * so that SQL users can type it unquoted (`shop` + `main` → `shop_main`).
 *
 * Turning `-` into `_` alone would let two projects meet: `a-b` + `c` and `a` + `b-c` both read
 * `a_b_c`. The plain form is therefore kept only when the database name has no `-` (then the
 * last `_` is the split, which makes the form one-to-one) and fits in 63 characters. Otherwise
 * the name is the readable form cut to fit, then `__` and 16 hex digits of SHA-256 over
 * `<project>/<name>`. A plain form never ends in `__` + hex (a project name cannot end in `-`),
 * so the two forms cannot meet either.
 */
export function databaseIdentifier(project: string, name: string): string {
  const readable = `${project}_${name}`.replace(/-/g, "_");
  if (!name.includes("-") && readable.length <= POSTGRES_IDENTIFIER_MAX) return readable;
  const hash = createHash("sha256").update(`${project}/${name}`).digest("hex").slice(0, 16);
  const room = POSTGRES_IDENTIFIER_MAX - hash.length - 2;
  return `${readable.slice(0, room).replace(/_+$/, "")}__${hash}`;
}

/** Name of the Kubernetes Secret holding a database's connection settings. */
export function databaseSecretName(name: string): string {
  return `database-${name}`;
}
