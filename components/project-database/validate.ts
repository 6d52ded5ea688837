import type * as pulumi from "@pulumi/pulumi";
import { isDnsLabel } from "../../spec/names.js";
import { ArgumentProblems, isIntegerIn, isPlain } from "../validation.js";
import { SslMode, type ProjectDatabaseArgs } from "./args.js";
import { databaseIdentifier } from "./names.js";

const DNS_LABEL =
  "a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)";
const SSL_MODES = Object.values(SslMode);

/** Largest database a project may ask for, as in the ProjectSpec schema. */
export const MAX_DATABASE_GB = 1024;
/** Most connections one database may hold, as in the ProjectSpec schema; a zone may allow fewer. */
export const MAX_CONNECTION_LIMIT = 500;

/**
 * Checks a ProjectDatabase's arguments before any child exists; throws one
 * `pulumi.ResourceError` naming every argument that is wrong and what is allowed.
 */
export function validateProjectDatabaseArgs(args: ProjectDatabaseArgs, resource?: pulumi.Resource): void {
  const problems = new ArgumentProblems();
  const projectOk = typeof args.project === "string" && isDnsLabel(args.project);
  const nameOk = typeof args.name === "string" && isDnsLabel(args.name, 40);
  if (!projectOk) problems.expect("project", `${DNS_LABEL}, at most 63 characters`, args.project);
  if (!nameOk) problems.expect("name", `${DNS_LABEL}, at most 40 characters`, args.name);
  if (projectOk && nameOk && databaseIdentifier(args.project, args.name).startsWith("pg_")) {
    problems.add(
      `project ${args.project} gives the role name ${databaseIdentifier(args.project, args.name)}, ` +
        "but PostgreSQL reserves role names starting with pg_; use a project name not starting with pg-",
    );
  }
  if (
    typeof args.sizeGB !== "number" ||
    !Number.isFinite(args.sizeGB) ||
    args.sizeGB <= 0 ||
    args.sizeGB > MAX_DATABASE_GB
  ) {
    problems.expect("sizeGB", `a number of GB more than 0 and at most ${MAX_DATABASE_GB}`, args.sizeGB);
  }
  const maxOk =
    args.maxConnectionLimit === undefined || isIntegerIn(args.maxConnectionLimit, 1, MAX_CONNECTION_LIMIT);
  if (!maxOk) {
    problems.expect(
      "maxConnectionLimit",
      `a whole number from 1 to ${MAX_CONNECTION_LIMIT}`,
      args.maxConnectionLimit,
    );
  }
  const most = maxOk ? (args.maxConnectionLimit ?? MAX_CONNECTION_LIMIT) : MAX_CONNECTION_LIMIT;
  if (args.connectionLimit !== undefined && !isIntegerIn(args.connectionLimit, 1, most)) {
    problems.expect(
      "connectionLimit",
      most === MAX_CONNECTION_LIMIT
        ? `a whole number from 1 to ${MAX_CONNECTION_LIMIT}`
        : `a whole number from 1 to ${most} (maxConnectionLimit, the zone's limit per database)`,
      args.connectionLimit,
    );
  }
  if (args.namespace === undefined || (isPlain(args.namespace) && !isDnsLabel(args.namespace))) {
    problems.expect("namespace", DNS_LABEL, args.namespace);
  }
  if (args.host === undefined || (isPlain(args.host) && !/^[A-Za-z0-9.:[\]-]+$/.test(args.host))) {
    problems.expect("host", "a host name or IP address such as postgres.zone.internal", args.host);
  }
  if (args.port !== undefined && isPlain(args.port) && !isIntegerIn(args.port, 1, 65535)) {
    problems.expect("port", "a TCP port from 1 to 65535", args.port);
  }
  if (args.sslmode !== undefined && !SSL_MODES.includes(args.sslmode)) {
    problems.expect("sslmode", `one of ${SSL_MODES.join(", ")}`, args.sslmode);
  }
  problems.throwIfAny("ProjectDatabase", resource);
}
