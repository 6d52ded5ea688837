import { Router } from "express";
import type { Principal } from "../../domain/authz.js";
import { NotFoundError } from "../../domain/errors.js";
import type { OperationRow } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { streamEvents } from "../event-stream.js";
import { presentOperation } from "../present.js";
import { EventPageQuery, pageRequest } from "../pagination.js";
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
    const request = pageRequest(req, "events", { keyFields: [/^\d{1,20}$/], query: EventPageQuery });
    // One more than the page tells whether there is a next one.
    const events = await store.operationEvents(operation.id, request.after?.[0], request.limit + 1);
    const page = events.slice(0, request.limit);
    const last = page.at(-1);
    res.json({
      ...presentOperation(operation, page),
      eventsNext: events.length > request.limit && last ? request.nextLink([last.id]) : null,
    });
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
