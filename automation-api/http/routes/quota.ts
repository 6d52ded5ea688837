import { Router } from "express";
import { requireUserToken } from "../../domain/authz.js";
import { ValidationError } from "../../domain/errors.js";
import { userQuota, zoneUsage } from "../../domain/fair-share.js";
import { unknownZone } from "../../domain/project-requests.js";
import { mapUsage, roundUsage, SHARE_KINDS } from "../../../spec/usage.js";
import { zoneAllocatable, zoneFree } from "../../domain/quota.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentZone } from "../present.js";
import { QuotaQuery } from "../schemas.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { queryOf } from "../validate.js";

export function quotaRoutes({ store, zones }: RouteContext): Router {
  const router = Router();

  /**
   * The caller's fair share of a zone, what their projects use and what the share leaves
   * (`free`); what the zone has free now, whoever holds the rest (`zoneFree`); and what the
   * next request may take, the smaller of the two (`available`), per kind.
   */
  router.get("/quota", async (req, res) => {
    const principal = principalOf(res);
    requireUserToken(principal, "read the user's quota");
    const query = queryOf(req, QuotaQuery);
    const zone = zones.get(query.zone);
    if (!zone) throw new ValidationError([{ path: "zone", message: unknownZone(query.zone, zones) }]);
    const [quota, zoneUsed] = await Promise.all([
      userQuota(store, principal.user, zone),
      zoneUsage(store, zone),
    ]);
    const free = mapUsage(SHARE_KINDS, (kind) => Math.max(0, quota.share[kind] - quota.used[kind]));
    const inZone = zoneFree(zoneAllocatable(zone), zoneUsed);
    res.json({
      zone: zone.name,
      weight: quota.weight,
      activeUsers: quota.activeUsers,
      totalWeight: quota.totalWeight,
      allocatable: zoneAllocatable(zone),
      share: roundUsage(quota.share),
      used: roundUsage(quota.used),
      free: roundUsage(free),
      zoneFree: roundUsage(inZone),
      available: roundUsage(mapUsage(SHARE_KINDS, (kind) => Math.min(free[kind], inZone[kind]))),
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
