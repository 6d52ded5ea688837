import { Router } from "express";
import type { Principal } from "../../domain/authz.js";
import { NotFoundError } from "../../domain/errors.js";
import type { OperationRow } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { streamEvents } from "../event-stream.js";
import { presentOperation } from "../present.js";
import { param } from "../validate.js";

/** An operation the principal may read: their own, and for project tokens only their project's. */
async function visibleOperation(store: Store, principal: Principal, id: string): Promise<OperationRow> {
  const operation = await store.findOperation(id);
  if (
    !operation ||
    operation.userId !== principal.user.id ||
    (principal.projectId !== null && operation.projectId !== principal.projectId)
  ) {
    throw new NotFoundError(`operation '${id}'`);
  }
  return operation;
}

export function operationRoutes(context: RouteContext): Router {
  const { store } = context;
  const router = Router();

  router.get("/operations/:id", async (req, res) => {
    const operation = await visibleOperation(store, principalOf(res), param(req, "id"));
    const events = await store.operationEvents(operation.id);
    res.json(presentOperation(operation, events));
  });

  router.get("/operations/:id/events", async (req, res) => {
    const principal = principalOf(res);
    const operation = await visibleOperation(store, principal, param(req, "id"));
    const slot = context.streams.take(principal);
    try {
      await streamEvents(context, principal, operation, req, res);
    } finally {
      slot.releaseOnClose(res);
    }
  });

  return router;
}
