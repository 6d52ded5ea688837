import type { Request, Response } from "express";
import type { Principal } from "../domain/authz.js";
import { DomainError } from "../domain/errors.js";
import type { OperationRow } from "../store/schema.js";
import { currentRefusal } from "./auth.js";
import type { RouteContext } from "./context.js";
import { presentEvent, presentOperation } from "./present.js";

const FINAL = new Set(["succeeded", "failed"]);
/** Events read from the store at a time. */
const BATCH = 500;
/** Timers cannot wait longer than this (about 24.8 days); a later expiry is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How many event streams may be open at once in one service process. */
export interface StreamLimits {
  /** Open streams per token. Default 5. */
  readonly perToken?: number;
  /** Open streams in this process, all tokens together. Default 500. */
  readonly perInstance?: number;
}

class TooManyStreamsError extends DomainError {
  constructor(detail: string) {
    super(429, "rate-limited", "Too Many Requests", detail);
  }
}

/** An open stream's place, given back when its response closes. */
export interface StreamSlot {
  releaseOnClose(res: Response): void;
}

/** Counts the open event streams of this process, per token and in all. */
export class StreamSlots {
  private readonly perToken: number;
  private readonly perInstance: number;
  private readonly byToken = new Map<string, number>();
  private total = 0;

  constructor(limits: StreamLimits = {}) {
    this.perToken = limits.perToken ?? 5;
    this.perInstance = limits.perInstance ?? 500;
  }

  /** Takes a place for a new stream of the principal's token; 429 when there is none. */
  take(principal: Principal): StreamSlot {
    const mine = this.byToken.get(principal.tokenId) ?? 0;
    if (mine >= this.perToken) {
      throw new TooManyStreamsError(
        `this token already has ${mine} open event streams; at most ${this.perToken} open event streams per token are allowed. Close one, or read the operation with GET`,
      );
    }
    if (this.total >= this.perInstance) {
      throw new TooManyStreamsError(
        `this service instance has ${this.total} open event streams, its limit; retry later, or read the operation with GET`,
      );
    }
    this.byToken.set(principal.tokenId, mine + 1);
    this.total += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.byToken.get(principal.tokenId) ?? 1) - 1;
      if (left > 0) this.byToken.set(principal.tokenId, left);
      else this.byToken.delete(principal.tokenId);
    };
    return {
      releaseOnClose: (res) => {
        if (res.writableEnded || res.destroyed) release();
        else res.once("close", release);
      },
    };
  }
}

/**
 * Server-sent events of one operation: every stored event (after `Last-Event-ID` when resuming),
 * then new ones as runs record them, then a `done` event with the final operation, and the end.
 * The stream reads the store only when the event bus says the operation has news (no polling),
 * and stops reading while the client has not taken what was written (backpressure). A stream
 * whose token is revoked or expires, or whose user is disabled, ends with an `unauthorized` event.
 */
export async function streamEvents(
  context: RouteContext,
  principal: Principal,
  operation: OperationRow,
  req: Request,
  res: Response,
): Promise<void> {
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
  const unsubscribers: (() => void)[] = [];
  let wakeWriter = () => {};

  const finish = () => {
    if (finished) return;
    finished = true;
    // clearTimeout clears intervals too.
    timers.forEach((timer) => clearTimeout(timer));
    unsubscribers.forEach((unsubscribe) => unsubscribe());
    wakeWriter();
    res.end();
  };

  /** Resolves once the client has taken what was written, or the stream ended. */
  const drained = () =>
    new Promise<void>((resolve) => {
      if (finished || !res.writableNeedDrain) return resolve();
      const done = () => {
        res.off("drain", done);
        wakeWriter = () => {};
        resolve();
      };
      wakeWriter = done;
      res.on("drain", done);
    });

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
          const events = await store.operationEvents(operation.id, lastId, BATCH);
          for (const event of events) {
            if (finished) return;
            res.write(
              `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(presentEvent(event))}\n\n`,
            );
            lastId = event.id;
          }
          // Read no more than the client takes: a slow reader holds the stream, not memory.
          await drained();
          if (finished) return;
          if (events.length < BATCH) break;
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
  const expireAt = (expiresAt: Date) => {
    const wait = expiresAt.getTime() - Date.now();
    timers.push(
      setTimeout(
        () => (wait > MAX_TIMER_MS ? expireAt(expiresAt) : void checkAccess()),
        Math.max(0, Math.min(wait, MAX_TIMER_MS)),
      ),
    );
  };
  const heartbeat = setInterval(() => {
    // A client that has not taken the last writes needs no keep-alive.
    if (!finished && !res.writableNeedDrain) res.write(`: keep-alive\n\n`);
  }, context.streamHeartbeatMs);
  timers.push(heartbeat);

  req.on("close", finish);
  // Subscribed before the first read, so that no news between the read and the subscription is lost.
  unsubscribers.push(bus.subscribe(operation.id, () => void pump()));
  unsubscribers.push(
    bus.subscribeAccess({ tokenId: principal.tokenId, userId: principal.user.id }, () => void checkAccess()),
  );
  if (principal.expiresAt) expireAt(principal.expiresAt);
  await pump();
}
