import type { Request, Response } from "express";
import { ipKeyGenerator } from "express-rate-limit";
import type { Principal } from "../domain/authz.js";
import { DomainError } from "../domain/errors.js";
import type { Logger } from "../observability/log.js";
import { RateLimitCounters } from "../store/rate-limits.js";
import type { Store } from "../store/store.js";

/** How many requests the service takes, per window, from one token and failed ones from one address. */
export interface RateLimitOptions {
  /** Length of a window in milliseconds. Default 60 000 (a minute). */
  readonly windowMs?: number;
  /** Requests per authenticated token per window. Default 600. */
  readonly limit?: number;
  /** Failed authentications (no, malformed, unknown, revoked or expired token) per client address per window. Default 30. */
  readonly authFailureLimit?: number;
}

export class RateLimitedError extends DomainError {
  constructor(detail: string) {
    super(429, "rate-limited", "Too Many Requests", detail);
  }
}

/** What this process has counted in the store for one token's window and not yet taken. */
interface Allowance {
  readonly resetAt: number;
  /** The window's count in the store after this process's last write, up to the limit. */
  readonly counted: number;
  /** Requests counted and not yet taken. */
  left: number;
}

/** Requests gathering for the next write, by key, and what they wait on. */
interface Batch {
  readonly sizes: Map<string, number>;
  readonly written: Promise<void>;
}

/**
 * The service's rate limits (DESIGN.md "Scale-out": counters shared through the store).
 * Authenticated requests count against their token, whatever way its header was written;
 * failed authentications count against the client's address, and an address over its limit is
 * refused before its token is looked up.
 *
 * Requests that arrive while counts are being written wait for the next write, which counts
 * them all, of every token, in one statement, as a database groups commits: a busy moment costs
 * a few round trips, not one a request, and nothing is counted that no request takes, so the
 * limit is exact across processes.
 */
export class RateLimits {
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly authFailureLimit: number;
  private readonly counters: RateLimitCounters;
  /** Addresses this process saw go over their failure limit, until their window ends. */
  private readonly blocked = new Map<string, number>();
  private readonly allowances = new Map<string, Allowance>();
  /** The write in flight, if any; the next one starts when it ends. */
  private writing: Promise<void> = Promise.resolve();
  /** Requests gathering for the next write. */
  private batch: Batch | undefined;
  private lastSweep = 0;

  constructor(
    store: Store,
    options: RateLimitOptions = {},
    private readonly logger?: Logger,
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.limit = options.limit ?? 600;
    this.authFailureLimit = options.authFailureLimit ?? 30;
    this.counters = new RateLimitCounters(store.db);
  }

  /** Refuses (429) a request from an address this process knows to be over its failure limit. */
  refuseBlockedAddress(req: Request, res: Response): void {
    const address = addressKey(req);
    const until = this.blocked.get(address);
    if (until === undefined) return;
    if (until <= Date.now()) {
      this.blocked.delete(address);
      return;
    }
    this.refuseFailures(res, until);
  }

  /** Counts a failed authentication of the request's address; refuses (429) once over the limit. */
  async countFailure(req: Request, res: Response): Promise<void> {
    const address = addressKey(req);
    const { count, resetAt } = await this.counters.hit(address, this.windowMs);
    this.sweepSometimes();
    if (count <= this.authFailureLimit) return;
    this.blocked.set(address, resetAt.getTime());
    this.refuseFailures(res, resetAt.getTime());
  }

  /** Counts a request against its token; sets the RateLimit headers; refuses (429) once over the limit. */
  async countRequest(principal: Principal, res: Response): Promise<void> {
    const { count, resetAt } = await this.take(`token:${principal.tokenId}`);
    this.sweepSometimes();
    const seconds = secondsUntil(resetAt);
    res.setHeader("RateLimit-Policy", `"token";q=${this.limit};w=${Math.ceil(this.windowMs / 1000)}`);
    res.setHeader("RateLimit", `"token";r=${Math.max(0, this.limit - count)};t=${seconds}`);
    if (count <= this.limit) return;
    res.setHeader("Retry-After", String(seconds));
    throw new RateLimitedError(
      `too many requests with this token: at most ${this.limit} every ${this.windowMs / 1000} s; retry after ${seconds} s (see the RateLimit and Retry-After headers)`,
    );
  }

  /** Takes one request of the key's window: the count with it, and when the window ends. */
  private async take(key: string): Promise<{ count: number; resetAt: number }> {
    // A count just written is taken from even if this clock says its window is over (the
    // store's clock decides windows), so that a clock behind the store's cannot loop.
    for (let written = false; ; written = true) {
      const allowance = this.allowances.get(key);
      const current = allowance && (written || allowance.resetAt > Date.now()) ? allowance : undefined;
      if (current && current.left > 0) {
        current.left -= 1;
        return { count: current.counted - current.left, resetAt: current.resetAt };
      }
      // Over the limit for the rest of the window: nobody can give requests back.
      if (current && current.counted >= this.limit)
        return { count: current.counted + 1, resetAt: current.resetAt };
      await this.join(key);
    }
  }

  /** Joins the next write, which starts as soon as the one in flight (if any) ends. */
  private join(key: string): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      const sizes = new Map<string, number>();
      // After the one in flight, whether it worked or not: a failed write fails its own requests only.
      const written = this.writing
        .catch(() => {})
        .then(() => {
          // Requests arriving from now on gather for the write after this one.
          this.batch = undefined;
          return this.write(sizes);
        });
      this.writing = written;
      batch = { sizes, written };
      this.batch = batch;
    }
    batch.sizes.set(key, (batch.sizes.get(key) ?? 0) + 1);
    return batch.written;
  }

  private async write(sizes: ReadonlyMap<string, number>): Promise<void> {
    const counts = await this.counters.hitMany(sizes, this.windowMs);
    for (const [key, size] of sizes) {
      const written = counts.get(key);
      // Its requests would otherwise join write after write.
      if (!written) throw new Error(`rate limit counter ${key} was not written`);
      const { count, resetAt } = written;
      // Only the part within the limit may be taken.
      const within = Math.max(0, Math.min(size, this.limit - (count - size)));
      // Requests of the window's last write not taken yet stay takeable.
      const last = this.allowances.get(key);
      const kept = last?.resetAt === resetAt.getTime() ? last.left : 0;
      // Counted up to the last request that may be taken: what was counted past the limit never is.
      this.allowances.set(key, {
        resetAt: resetAt.getTime(),
        counted: count - size + within,
        left: within + kept,
      });
    }
  }

  private refuseFailures(res: Response, until: number): never {
    const seconds = secondsUntil(until);
    res.setHeader("Retry-After", String(seconds));
    throw new RateLimitedError(
      `too many failed authentications from this address: at most ${this.authFailureLimit} every ${this.windowMs / 1000} s; retry after ${seconds} s with a valid token`,
    );
  }

  /** Deletes ended windows' counters, from one request per window and process, without waiting. */
  private sweepSometimes(): void {
    const now = Date.now();
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [address, until] of this.blocked) if (until <= now) this.blocked.delete(address);
    for (const [key, allowance] of this.allowances) if (allowance.resetAt <= now) this.allowances.delete(key);
    this.counters.sweep(this.windowMs).catch((error: unknown) => {
      this.logger?.warn({ err: error }, "rate limits: deleting ended windows failed");
    });
  }
}

/** The client's address as a key; IPv6 addresses by their /56 network, which one client usually holds. */
function addressKey(req: Request): string {
  return `address:${ipKeyGenerator(req.ip ?? "")}`;
}

function secondsUntil(time: number): number {
  return Math.max(1, Math.ceil((time - Date.now()) / 1000));
}
