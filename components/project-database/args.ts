import type * as pulumi from "@pulumi/pulumi";

/** libpq `sslmode` values, from no TLS at all to a verified server certificate and host name. */
export const SslMode = {
  disable: "disable",
  allow: "allow",
  prefer: "prefer",
  require: "require",
  verifyCa: "verify-ca",
  verifyFull: "verify-full",
} as const;
export type SslMode = (typeof SslMode)[keyof typeof SslMode];

/**
 * A database of a project on the zone's PostgreSQL server. The postgresql and kubernetes
 * providers come from the caller through the resource options.
 */
export interface ProjectDatabaseArgs {
  /** Project that owns the database; a DNS label. Required; part of the role and database name. */
  readonly project: string;
  /** Namespace of the project, where the connection Secret is written. Required. */
  readonly namespace: pulumi.Input<string>;
  /** The database's name within the project; a DNS label of at most 40 characters. Required. */
  readonly name: string;
  /** Size limit in GB, enforced by the service (writes revoked above it). Required; more than 0, at most 1024. */
  readonly sizeGB: number;
  /** Most connections the role and the database accept at once. Default 20 (or `maxConnectionLimit` when lower); 1 to `maxConnectionLimit`. */
  readonly connectionLimit?: number;
  /**
   * Highest `connectionLimit` the zone allows one database, below its server's
   * `max_connections` so that no database takes them all. Default 500; 1 to 500.
   */
  readonly maxConnectionLimit?: number;
  /** Host name pods use to reach the server. Required. */
  readonly host: pulumi.Input<string>;
  /** TCP port pods use to reach the server. Default 5432. */
  readonly port?: pulumi.Input<number>;
  /** `sslmode` written into the connection URL. Default `require`. */
  readonly sslmode?: SslMode;
}
