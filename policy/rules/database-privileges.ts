/**
 * A project's Postgres role is an ordinary login on the zone's shared server: none of the
 * attributes that reach beyond its own database, and a connection limit so one project cannot
 * take every connection slot of the server.
 */
import * as postgresql from "@pulumi/postgresql";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import type { DatabasePrivilegesConfig } from "../config.js";

/** Role attributes that must stay off, and what each would let the project do. */
const FORBIDDEN_ATTRIBUTES = {
  superuser: "it would bypass every permission check on the server",
  createDatabase: "it could create databases outside its quota",
  createRole: "it could create roles with any attributes but superuser",
  replication: "it could stream every database of the server",
  bypassRowLevelSecurity: "it would bypass other tables' row-level security",
} as const;

export const databasePrivileges: ResourceValidationPolicy = {
  name: "database-privileges",
  description:
    "Project database roles have no superuser, createdb, createrole, replication or bypassrls attribute, no role memberships, and a connection limit.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxConnectionLimit: {
        type: "integer",
        minimum: 1,
        description: "Highest connection limit a role may have; unset: any positive limit.",
      },
    },
  },
  validateResource: validateResourceOfType(postgresql.Role, (role, args, reportViolation) => {
    const { maxConnectionLimit } = args.getConfig<DatabasePrivilegesConfig>();
    for (const [attribute, why] of Object.entries(FORBIDDEN_ATTRIBUTES)) {
      if (role[attribute as keyof typeof FORBIDDEN_ATTRIBUTES] === true) {
        reportViolation(`${attribute} must be false: ${why}`);
      }
    }
    (role.roles ?? []).forEach((member, index) => {
      reportViolation(
        `roles[${index}] '${member}' must not be granted: the role would inherit its privileges`,
      );
    });
    const limit = role.connectionLimit;
    if (limit === undefined) {
      reportViolation("connectionLimit must be set: the default -1 means no limit");
    } else if (!(limit > 0)) {
      reportViolation(`connectionLimit must be more than 0, got ${limit} (-1 means no limit)`);
    } else if (maxConnectionLimit !== undefined && limit > maxConnectionLimit) {
      reportViolation(`connectionLimit must be at most ${maxConnectionLimit}, got ${limit}`);
    }
  }),
};
