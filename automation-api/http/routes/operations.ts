import { Router, type Request, type Response } from "express";
import type { Principal } from "../../domain/authz.js";
import { NotFoundError } from "../../domain/errors.js";
import type { OperationRow } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { currentRefusal, principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentEvent, presentOperation } from "../present.js";
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
    const events = await store.operationEvents(operation.id);
    res.json(presentOperation(operation, events));
  });

  router.get("/operations/:id/events", async (req, res) => {
    const principal = principalOf(res);
    const operation = await visibleOperation(store, principal, param(req, "id"));
    await streamEvents(context, principal, operation, req, res);
  });

  return router;
}

/** Timers cannot wait longer than this (about 24.8 days); a later expiry is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Server-sent events of one operation: every stored event (after `Last-Event-ID` when resuming),
 * then new ones as runs record them, then a `done` event with the final operation, and the end.
 * A stream whose token is revoked, expires or whose user is disabled ends with an
 * `unauthorized` event.
 */
async function streamEvents(
  context: RouteContext,
  principal: Principal,
  operation: OperationRow,
  req: Request,
  res: Response,
) {
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
  const timeouts: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};

  const finish = () => {
    if (finished) return;
    finished = true;
    timers.forEach((timer) => clearInterval(timer));
    timeouts.forEach((timer) => clearTimeout(timer));
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

  const refuse = (detail: string) => {
    if (finished) return;
    res.write(`event: unauthorized\ndata: ${JSON.stringify({ status: 401, detail })}\n\n`);
    finish();
  };
  const checkAccess = async () => {
    try {
      const refusal = await currentRefusal(store, principal);
      if (refusal) refuse(refusal);
    } catch {
      finish();
    }
  };
  const expireLater = (expiresAt: Date) => {
    const wait = expiresAt.getTime() - Date.now();
    const timer = setTimeout(
      () => (wait > MAX_TIMER_MS ? expireLater(expiresAt) : void checkAccess()),
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    );
    timeouts.push(timer);
  };

  req.on("close", finish);
  const unsubscribeAccess = bus.subscribeAccess(
    { tokenId: principal.tokenId, userId: principal.user.id },
    () => void checkAccess(),
  );
  if (principal.expiresAt) expireLater(principal.expiresAt);
  const unsubscribeNews = bus.subscribe(operation.id, () => void pump());
  unsubscribe = () => {
    unsubscribeNews();
    unsubscribeAccess();
  };
  timers.push(setInterval(() => void pump(), context.streamPollMs));
  timers.push(
    setInterval(() => {
      if (!finished) res.write(`: keep-alive\n\n`);
    }, context.streamHeartbeatMs),
  );
  await pump();
}
