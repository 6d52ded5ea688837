import { Router } from "express";
import { requireUserToken } from "../../domain/authz.js";
import { ValidationError } from "../../domain/errors.js";
import { userQuota } from "../../domain/fair-share.js";
import { unknownZone } from "../../domain/project-requests.js";
import { mapUsage, roundUsage, SHARE_KINDS } from "../../../spec/usage.js";
import { zoneAllocatable } from "../../domain/quota.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentZone } from "../present.js";
import { QuotaQuery } from "../schemas.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { queryOf } from "../validate.js";

export function quotaRoutes({ store, zones }: RouteContext): Router {
  const router = Router();

  /** The caller's fair share of a zone, what their projects use, and what is left, per kind. */
  router.get("/quota", async (req, res) => {
    const principal = principalOf(res);
    requireUserToken(principal, "read the user's quota");
    const query = queryOf(req, QuotaQuery);
    const zone = zones.get(query.zone);
    if (!zone) throw new ValidationError([{ path: "zone", message: unknownZone(query.zone, zones) }]);
    const quota = await userQuota(store, principal.user, zone);
    res.json({
      zone: zone.name,
      weight: quota.weight,
      activeUsers: quota.activeUsers,
      totalWeight: quota.totalWeight,
      allocatable: zoneAllocatable(zone),
      share: roundUsage(quota.share),
      used: roundUsage(quota.used),
      free: roundUsage(mapUsage(SHARE_KINDS, (kind) => Math.max(0, quota.share[kind] - quota.used[kind]))),
    });
  });

  router.get("/zones", (req, res) => {
    // Zones keep the catalog's order, which changes only with the service's configuration.
    const ordered = zones.list().map((zone, index) => ({ zone, key: String(index).padStart(6, "0") }));
    const page = pageOf(ordered, (entry) => entry.key, pageRequest(req, "zones", { keyFields: [/^\d{6}$/] }));
    res.json(presentPage(page, (entry) => presentZone(entry.zone)));
  });

  return router;
}
