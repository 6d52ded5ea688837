import type { ZoneSpec } from "../../spec/zone.js";

/** What the zone's PostgreSQL tells of one database. */
export interface DatabaseUsage {
  readonly sizeBytes: number;
  readonly connections: number;
  /** The database's own connection limit; `undefined` when it has none (-1 in PostgreSQL). */
  readonly connectionLimit: number | undefined;
}

/**
 * What the service reads of a zone's data stores (its PostgreSQL and S3) to show members the
 * use of their databases and buckets. Tests hand in a fake.
 */
export interface ZoneDatastores {
  /** `undefined` when the database does not exist (yet). Throws when the server does not answer. */
  databaseUsage(zone: ZoneSpec, database: string): Promise<DatabaseUsage | undefined>;
  /** Bytes stored in a bucket, or `undefined` where the zone's S3 cannot tell. */
  bucketBytes(zone: ZoneSpec, bucket: string): Promise<number | undefined>;
  close(): Promise<void>;
}
