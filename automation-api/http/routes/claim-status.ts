import { Router } from "express";
import { bucketName } from "../../../components/object-bucket/names.js";
import { databaseIdentifier } from "../../../components/project-database/names.js";
import type { ZoneDatastores } from "../../datastores/datastores.js";
import type { BucketQuotas } from "../../datastores/bucket-quotas.js";
import { MAX_LISTED_OBJECTS } from "../../datastores/zone-s3.js";
import { projectOf } from "../../domain/authz.js";
import { refusalMessage } from "../../domain/database-limit.js";
import { NotFoundError } from "../../domain/errors.js";
import { RuntimeUnreachableError } from "../../domain/runtime-errors.js";
import { findItem } from "../../domain/spec.js";
import { DatabaseLimits } from "../../store/database-limits.js";
import { principalOf } from "../auth.js";
import { bucketQuotaBytes, bucketWrites, OVER_QUOTA_NOTE } from "../bucket-writes.js";
import type { RouteContext } from "../context.js";
import { param } from "../validate.js";

const GB = 1e9;

/**
 * `/projects/{project}/{databases|buckets}/{name}/status`: a database's size and connections,
 * a bucket's stored bytes, each against its limit, as the zone's data stores tell them; and
 * whether the bucket accepts writes or refuses them for being over its quota.
 */
export function claimStatusRoutes(
  { store, zones }: RouteContext,
  datastores: ZoneDatastores,
  bucketQuotas?: BucketQuotas,
): Router {
  const router = Router();

  router.get("/projects/:project/databases/:name/status", async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const item = findItem(project.spec, "databases", param(req, "name"));
    if (!item) throw new NotFoundError(`database '${param(req, "name")}'`);
    const zone = zones.get(project.zone);
    if (!zone) throw new RuntimeUnreachableError(project.zone);
    const database = databaseIdentifier(project.name, item.name);
    let usage;
    try {
      usage = await datastores.databaseUsage(zone, database);
    } catch {
      throw new RuntimeUnreachableError(zone.name);
    }
    const limits = new DatabaseLimits(store.db);
    const [state, events] = await Promise.all([
      limits.find(project.id, item.name),
      limits.events(project.id, item.name),
    ]);
    const refused = state?.writes === "refused";
    const notYet = "the database is not made yet: its project's last change has not been applied";
    res.json({
      database: database,
      sizeBytes: {
        used: usage?.sizeBytes ?? null,
        limit: item.sizeGB * GB,
        ...(usage ? {} : { note: notYet }),
      },
      connections: {
        used: usage?.connections ?? null,
        limit: usage?.connectionLimit ?? item.connectionLimit ?? null,
        ...(usage ? {} : { note: notYet }),
      },
      writes: {
        state: refused ? "refused" : "accepted",
        since: refused && state ? state.changedAt.toISOString() : null,
        checkedAt: state?.measuredAt.toISOString() ?? null,
        sizeBytes: state?.sizeBytes ?? null,
        limitBytes: state?.limitBytes ?? null,
        reason:
          refused && state ? refusalMessage(database, state.refusedAtLimitBytes ?? state.limitBytes) : null,
        error: state?.error ?? null,
      },
      events: events.map((entry) => ({
        at: entry.at.toISOString(),
        type: entry.type,
        message: entry.message,
        sizeBytes: entry.sizeBytes,
        limitBytes: entry.limitBytes,
      })),
    });
  });

  router.get("/projects/:project/buckets/:name/status", async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const item = findItem(project.spec, "buckets", param(req, "name"));
    if (!item) throw new NotFoundError(`bucket '${param(req, "name")}'`);
    const zone = zones.get(project.zone);
    if (!zone) throw new RuntimeUnreachableError(project.zone);
    const bucket = bucketName(project.name, item.name);
    let used: number | undefined;
    let note: string | undefined;
    const limit = bucketQuotaBytes(item.sizeGB);
    const writes = bucketWrites(bucketQuotas, zone, bucket, limit);
    try {
      used = await datastores.bucketBytes(zone, bucket);
      if (used === undefined) {
        note = `not counted: the bucket holds more than ${MAX_LISTED_OBJECTS.toLocaleString("en")} objects`;
      }
    } catch (error) {
      note =
        (error as { name?: string }).name === "NoSuchBucket"
          ? "the bucket is not made yet: its project's last change has not been applied"
          : `not available: zone '${zone.name}''s object storage did not answer`;
    }
    const writesNow = await writes;
    if (writesNow.state === "refused")
      note = note === undefined ? OVER_QUOTA_NOTE : `${OVER_QUOTA_NOTE}; ${note}`;
    res.json({
      bucket,
      bytes: { used: used ?? null, limit, ...(note === undefined ? {} : { note }) },
      writes: writesNow,
    });
  });

  return router;
}
