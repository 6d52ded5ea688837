import { Router } from "express";
import { bucketSecretName } from "../../../components/object-bucket/names.js";
import { databaseSecretName } from "../../../components/project-database/names.js";
import { projectOf, requireUserToken } from "../../domain/authz.js";
import { ClusterUnreachableError } from "../../cluster/cluster.js";
import { ConflictError, NotFoundError, ZoneUnreachableError } from "../../domain/errors.js";
import { findItem } from "../../domain/spec.js";
import { CredentialReveals } from "../../store/credential-reveals.js";
import type { CredentialRevealRow } from "../../store/schema.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { param } from "../validate.js";

/** The claims whose credentials a member may read, with the Secret each keeps them in. */
const REVEALABLE = [
  { collection: "databases", kind: "database", secretName: databaseSecretName },
  { collection: "buckets", kind: "bucket", secretName: bucketSecretName },
] as const;

function presentReveal(reveal: CredentialRevealRow, user: string) {
  return {
    id: reveal.id,
    kind: reveal.kind,
    item: reveal.item,
    user,
    tokenId: reveal.tokenId,
    revealedAt: reveal.revealedAt.toISOString(),
  };
}

/**
 * `POST /projects/{project}/{databases|buckets}/{name}/credentials`: the claim's credentials as
 * its Secret in the zone's cluster holds them at this moment, for the owner's user token only
 * (project tokens deploy apps, which receive the credentials themselves). Every reveal is
 * recorded and listed at `GET /projects/{project}/credential-reveals`; the service keeps no
 * credential.
 */
export function credentialRoutes({ store, zones, clusters }: RouteContext): Router {
  const router = Router();
  const reveals = new CredentialReveals(store.db);

  for (const { collection, kind, secretName } of REVEALABLE) {
    router.post(`/projects/:project/${collection}/:name/credentials`, async (req, res) => {
      const principal = principalOf(res);
      const project = await projectOf(store, principal, param(req, "project"));
      requireUserToken(principal, "read credentials");
      const name = param(req, "name");
      if (!findItem(project.spec, collection, name)) throw new NotFoundError(`${kind} '${name}'`);
      const zone = zones.get(project.zone);
      if (!zone) throw new NotFoundError(`zone '${project.zone}'`);
      // The project's namespace carries its name (TenantNamespace).
      let data: Readonly<Record<string, string>> | undefined;
      try {
        data = await clusters.cluster(zone).secretData(project.name, secretName(name));
      } catch (error) {
        if (error instanceof ClusterUnreachableError) throw new ZoneUnreachableError(zone.name);
        throw error;
      }
      if (!data) {
        throw new ConflictError(
          `the ${kind} '${name}' has no credentials in the zone yet; they exist once an operation that creates it has succeeded`,
        );
      }
      const reveal = await reveals.record({
        projectId: project.id,
        userId: principal.user.id,
        tokenId: principal.tokenId,
        kind,
        item: name,
      });
      res.set("Cache-Control", "no-store");
      res.json({ kind, name, variables: data, revealedAt: reveal.revealedAt.toISOString() });
    });
  }

  router.get("/projects/:project/credential-reveals", async (req, res) => {
    const principal = principalOf(res);
    const project = await projectOf(store, principal, param(req, "project"));
    const rows = await reveals.list(project.id);
    const page = pageOf(
      rows,
      (row) => `${row.revealedAt.toISOString()} ${row.id}`,
      pageRequest(req, "credential-reveals"),
    );
    res.json(presentPage(page, (row) => presentReveal(row, principal.user.name)));
  });

  return router;
}
