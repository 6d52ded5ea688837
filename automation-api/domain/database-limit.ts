/** Bytes in one GB of a claim's `sizeGB`, as every figure of use counts them. */
export const BYTES_PER_GB = 1e9;

/** Whether a project's database takes writes, as the service last left it. */
export const DatabaseWrites = { accepted: "accepted", refused: "refused" } as const;
export type DatabaseWrites = (typeof DatabaseWrites)[keyof typeof DatabaseWrites];

/** What the service records of one database between two measurements. */
export interface DatabaseLimitState {
  readonly writes: DatabaseWrites;
  /** The limit the refusal was made for (its message names it); `null` while writes are accepted. */
  readonly refusedAtLimitBytes: number | null;
}

/** One measurement of a database against its limit. */
export interface DatabaseMeasurement {
  readonly sizeBytes: number;
  readonly limitBytes: number;
}

/**
 * What to do after a measurement:
 * - `refuse`: writes were accepted and the database is over its limit; refuse them and end the
 *   role's sessions, so that nothing begun before (a temporary table) goes on growing.
 * - `renew`: still over; refuse again, which covers tables made before the refusal took hold and
 *   renames the limit in the message when it changed.
 * - `restore`: back under its limit (data deleted, or the limit raised); accept writes again.
 * - `none`: under the limit, and writes accepted.
 */
export type DatabaseLimitAction = "refuse" | "renew" | "restore" | "none";

/**
 * A database over its limit has more bytes than the limit: one exactly at its limit still takes
 * writes, so a limit is the most a member may hold.
 */
export function isOverLimit(measurement: DatabaseMeasurement): boolean {
  return measurement.sizeBytes > measurement.limitBytes;
}

/** The action a measurement calls for, given what the service last did (nothing yet: `undefined`). */
export function decideDatabaseLimit(
  state: DatabaseLimitState | undefined,
  measurement: DatabaseMeasurement,
): DatabaseLimitAction {
  const refused = state?.writes === DatabaseWrites.refused;
  if (isOverLimit(measurement)) return refused ? "renew" : "refuse";
  return refused ? "restore" : "none";
}

/** A size in GB as members write `sizeGB`: at most three significant decimals, no trailing zeros. */
export function formatGB(bytes: number): string {
  const gb = bytes / BYTES_PER_GB;
  const digits = gb >= 100 ? 0 : gb >= 10 ? 1 : gb >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(gb)));
  return String(Number(gb.toFixed(Math.max(0, digits))));
}

/** The error an app's refused write gets: what happened and why, in PostgreSQL's message field. */
export function refusalMessage(database: string, limitBytes: number): string {
  return `database ${database} is over its size limit of ${formatGB(limitBytes)} GB: pluskube refuses writes to it`;
}

/** The hint under the refusal: what the member can do about it, and when it takes effect. */
export function refusalHint(checkSeconds: number): string {
  return (
    "DELETE, TRUNCATE, DROP and VACUUM still work. Writes are accepted again once the database is " +
    `back under its limit (delete rows, then VACUUM) or its sizeGB is raised; sizes are measured every ${checkSeconds} s.`
  );
}

/** The message of the event a change of a database's writes leaves for its member. */
export function limitEventMessage(
  action: "refuse" | "restore",
  database: string,
  measurement: DatabaseMeasurement,
): string {
  const used = `${formatGB(measurement.sizeBytes)} GB of ${formatGB(measurement.limitBytes)} GB`;
  return action === "refuse"
    ? `writes refused: database ${database} holds ${used}; delete data (then VACUUM) or raise sizeGB`
    : `writes accepted again: database ${database} holds ${used}`;
}
