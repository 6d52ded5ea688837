import pg from "pg";
import { readZoneFile } from "../../stacks/providers.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { DatabaseUsage, ZoneDatastores } from "./datastores.js";
import { bucketBytes } from "./zone-s3.js";

/** The `ssl` option of node-postgres for a zone's `sslmode`. */
export function sslOf(sslmode: ZoneSpec["postgres"]["sslmode"]): pg.ClientConfig["ssl"] {
  if (sslmode === "disable") return false;
  return { rejectUnauthorized: sslmode === "verify-full" };
}

/**
 * The zones' data stores as their administrators reach them (the zone file's admin user and
 * password file, as the project stacks' providers do): one small pool per zone, made on first
 * use. A bucket's use is summed from a listing (`zone-s3.ts`).
 */
export function zoneDatastores(): ZoneDatastores {
  const pools = new Map<string, pg.Pool>();
  const poolOf = (zone: ZoneSpec): pg.Pool => {
    let pool = pools.get(zone.name);
    if (!pool) {
      pool = new pg.Pool({
        host: zone.postgres.host,
        port: zone.postgres.port,
        user: zone.postgres.adminUser,
        password: readZoneFile(zone.postgres.passwordFile),
        database: "postgres",
        ssl: sslOf(zone.postgres.sslmode),
        // Status reads are short and rare; the zone's connections belong to its members.
        max: 2,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: 5_000,
      });
      pool.on("error", () => {});
      pools.set(zone.name, pool);
    }
    return pool;
  };
  return {
    async databaseUsage(zone, database): Promise<DatabaseUsage | undefined> {
      const result = await poolOf(zone).query<{ size: string; limit: number; connections: string }>(
        `select pg_database_size(d.oid) as size, d.datconnlimit as limit,
                (select count(*) from pg_stat_activity a where a.datid = d.oid) as connections
           from pg_database d where d.datname = $1`,
        [database],
      );
      const row = result.rows[0];
      if (!row) return undefined;
      return {
        sizeBytes: Number(row.size),
        connections: Number(row.connections),
        connectionLimit: row.limit < 0 ? undefined : row.limit,
      };
    },
    bucketBytes,
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.end().catch(() => {})));
      pools.clear();
    },
  };
}
