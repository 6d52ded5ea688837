import { Router, type Request, type Response } from "express";
import type { Principal } from "../../domain/authz.js";
import { NotFoundError } from "../../domain/errors.js";
import type { OperationRow } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentEvent, presentOperation } from "../present.js";
import { EventPageQuery, pageRequest } from "../pagination.js";
import { param } from "../validate.js";

const FINAL = new Set(["succeeded", "failed"]);

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
    const operation = await visibleOperation(store, principalOf(res), param(req, "id"));
    await streamEvents(context, operation, req, res);
  });

  return router;
}

/**
 * Server-sent events of one operation: every stored event (after `Last-Event-ID` when resuming),
 * then new ones as runs record them, then a `done` event with the final operation, and the end.
 */
async function streamEvents(context: RouteContext, operation: OperationRow, req: Request, res: Response) {
  const { store, bus } = context;
  const resumeFrom = req.get("last-event-id");
  let lastId = resumeFrom && /^\d+$/.test(resumeFrom) ? resumeFrom : "0";
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  res.write(`retry: 2000\n\n`);

  let finished = false;
  let pumping = false;
  let again = false;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};

  const finish = () => {
    if (finished) return;
    finished = true;
    timers.forEach((timer) => clearInterval(timer));
    unsubscribe();
    res.end();
  };

  const pump = async (): Promise<void> => {
    if (finished) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        // Status first: a final status means every event of the run is already stored.
        const current = (await store.findOperation(operation.id)) ?? operation;
        for (;;) {
          const events = await store.operationEvents(operation.id, lastId, 500);
          for (const event of events) {
            res.write(
              `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(presentEvent(event))}\n\n`,
            );
            lastId = event.id;
          }
          if (events.length < 500) break;
        }
        if (FINAL.has(current.status)) {
          res.write(`event: done\ndata: ${JSON.stringify(presentOperation(current))}\n\n`);
          finish();
          return;
        }
      } while (again && !finished);
    } catch {
      finish();
    } finally {
      pumping = false;
    }
  };

  req.on("close", finish);
  unsubscribe = bus.subscribe(operation.id, () => void pump());
  timers.push(setInterval(() => void pump(), context.streamPollMs));
  timers.push(
    setInterval(() => {
      if (!finished) res.write(`: keep-alive\n\n`);
    }, context.streamHeartbeatMs),
  );
  await pump();
}
