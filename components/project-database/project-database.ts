import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CLAIM_LABEL, ClaimKind, SIZE_GB_ANNOTATION, projectLabels } from "../labels.js";
import type { ProjectDatabaseArgs, SslMode } from "./args.js";
import { databaseIdentifier, databaseSecretName } from "./names.js";
import { validateProjectDatabaseArgs } from "./validate.js";

export const PROJECT_DATABASE_TYPE = "pluskube:index:ProjectDatabase";

/** Privileges the owner holds on its database, stated explicitly once PUBLIC has none. */
export const OWNER_DATABASE_PRIVILEGES = ["CONNECT", "CREATE", "TEMPORARY"] as const;

/** Characters the generated password draws its specials from: unreserved in URLs, so `DATABASE_URL` needs no escaping. */
export const PASSWORD_SPECIALS = "-_.~";

/** Keys of a database's Secret, each the variable libpq (or most frameworks) read it from. */
export const DATABASE_SECRET_KEYS = [
  "DATABASE_URL",
  "PGHOST",
  "PGPORT",
  "PGDATABASE",
  "PGUSER",
  "PGPASSWORD",
  "PGSSLMODE",
] as const;

/** Inputs of `postgresUrl`. */
export interface PostgresUrlParts {
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly sslmode: SslMode;
}

/** `postgres://user:password@host:port/database?sslmode=...`, with an IPv6 host in brackets. */
export function postgresUrl(parts: PostgresUrlParts): string {
  const host = parts.host.includes(":") && !parts.host.startsWith("[") ? `[${parts.host}]` : parts.host;
  const user = encodeURIComponent(parts.user);
  const password = encodeURIComponent(parts.password);
  const database = encodeURIComponent(parts.database);
  return `postgres://${user}:${password}@${host}:${parts.port}/${database}?sslmode=${parts.sslmode}`;
}

/**
 * A project's database on the zone's PostgreSQL server: a login role with no superuser-like
 * attribute, a database it owns that no other role may connect to, both with a connection
 * limit, and a Secret in the project's namespace with `DATABASE_URL` and the `PG*` variables.
 * The size limit is recorded on the Secret; the service enforces it.
 */
export class ProjectDatabase extends pulumi.ComponentResource {
  /** Name of the PostgreSQL database. */
  public readonly databaseName: pulumi.Output<string>;
  /** Name of the login role that owns the database. */
  public readonly roleName: pulumi.Output<string>;
  /** Name of the Kubernetes Secret with the connection settings. */
  public readonly secretName: pulumi.Output<string>;
  /** Size limit in GB. */
  public readonly sizeGB: number;
  /** `DATABASE_URL` as pods see it (secret). */
  public readonly connectionUrl: pulumi.Output<string>;

  constructor(name: string, args: ProjectDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PROJECT_DATABASE_TYPE, name, {}, opts);
    validateProjectDatabaseArgs(args, this);

    const connectionLimit = args.connectionLimit ?? Math.min(20, args.maxConnectionLimit ?? 20);
    const port = args.port ?? 5432;
    const sslmode = args.sslmode ?? "require";
    const identifier = databaseIdentifier(args.project, args.name);
    const child = { parent: this };

    const password = new random.RandomPassword(
      `${name}-password`,
      {
        length: 32,
        special: true,
        overrideSpecial: PASSWORD_SPECIALS,
        minLower: 1,
        minUpper: 1,
        minNumeric: 1,
      },
      child,
    );

    const role = new postgresql.Role(
      `${name}-role`,
      {
        name: identifier,
        login: true,
        password: password.result,
        superuser: false,
        createDatabase: false,
        createRole: false,
        replication: false,
        bypassRowLevelSecurity: false,
        // From PostgreSQL 15 the `public` schema belongs to pg_database_owner, whose rights a
        // NOINHERIT owner would not get: it could not create tables in its own database. The role
        // is a member of nothing else, so inheriting grants it nothing more.
        inherit: true,
        connectionLimit,
      },
      child,
    );

    const database = new postgresql.Database(
      `${name}-database`,
      {
        name: identifier,
        owner: role.name,
        connectionLimit,
        allowConnections: true,
        isTemplate: false,
      },
      child,
    );

    // PostgreSQL grants CONNECT and TEMPORARY on every new database to PUBLIC, i.e. to every
    // other project's role. A Grant with no privileges is the provider's way to say REVOKE ALL.
    const revokePublic = new postgresql.Grant(
      `${name}-revoke-public`,
      { database: database.name, role: "public", objectType: "database", privileges: [] },
      child,
    );

    // The owner keeps its privileges through ownership alone; granting them explicitly makes the
    // database's ACL say so. It waits for the revoke because two GRANT/REVOKE statements on one
    // database at once fail with "tuple concurrently updated".
    new postgresql.Grant(
      `${name}-owner-access`,
      {
        database: database.name,
        role: role.name,
        objectType: "database",
        privileges: [...OWNER_DATABASE_PRIVILEGES],
      },
      { parent: this, dependsOn: [revokePublic] },
    );

    const url = pulumi
      .all([role.name, password.result, args.host, port, database.name])
      .apply(([user, pass, host, resolvedPort, db]) =>
        postgresUrl({ user, password: pass, host, port: resolvedPort, database: db, sslmode }),
      );
    this.connectionUrl = pulumi.secret(url);

    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: databaseSecretName(args.name),
          namespace: args.namespace,
          labels: { ...projectLabels(args.project), [CLAIM_LABEL]: ClaimKind.database },
          annotations: { [SIZE_GB_ANNOTATION]: String(args.sizeGB) },
        },
        type: "Opaque",
        stringData: {
          DATABASE_URL: this.connectionUrl,
          PGHOST: pulumi.secret(args.host),
          PGPORT: pulumi.secret(pulumi.output(port).apply(String)),
          PGDATABASE: pulumi.secret(database.name),
          PGUSER: pulumi.secret(role.name),
          PGPASSWORD: pulumi.secret(password.result),
          PGSSLMODE: pulumi.secret(sslmode),
        },
      },
      // The credentials are published only once the database is closed to every other role.
      { parent: this, dependsOn: [revokePublic] },
    );

    this.databaseName = database.name;
    this.roleName = role.name;
    this.secretName = secret.metadata.name;
    this.sizeGB = args.sizeGB;
    this.registerOutputs({
      databaseName: this.databaseName,
      roleName: this.roleName,
      secretName: this.secretName,
      sizeGB: this.sizeGB,
      connectionUrl: this.connectionUrl,
    });
  }
}
