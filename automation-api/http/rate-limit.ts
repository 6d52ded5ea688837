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

/**
 * The service's rate limits (DESIGN.md "Scale-out": counters shared through the store).
 * Authenticated requests count against their token, whatever way its header was written;
 * failed authentications count against the client's address, and an address over its limit is
 * refused before its token is looked up.
 */
export class RateLimits {
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly authFailureLimit: number;
  private readonly counters: RateLimitCounters;
  /** Addresses this process saw go over their failure limit, until their window ends. */
  private readonly blocked = new Map<string, number>();
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
    const { count, resetAt } = await this.counters.hit(`token:${principal.tokenId}`, this.windowMs);
    this.sweepSometimes();
    const seconds = secondsUntil(resetAt.getTime());
    res.setHeader("RateLimit-Policy", `"token";q=${this.limit};w=${Math.ceil(this.windowMs / 1000)}`);
    res.setHeader("RateLimit", `"token";r=${Math.max(0, this.limit - count)};t=${seconds}`);
    if (count <= this.limit) return;
    res.setHeader("Retry-After", String(seconds));
    throw new RateLimitedError(
      `too many requests with this token: at most ${this.limit} every ${this.windowMs / 1000} s; retry after ${seconds} s (see the RateLimit and Retry-After headers)`,
    );
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
