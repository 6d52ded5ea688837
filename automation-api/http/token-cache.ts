import type { EventBus } from "../jobs/event-bus.js";
import type { Store, TokenWithUser } from "../store/store.js";

/** How long and how many tokens a process keeps. */
export interface TokenCacheOptions {
  /**
   * Milliseconds a looked-up token is answered from memory. Default 10 000. It bounds how long
   * a change made past the service (a row edited by hand) goes unseen; changes made through
   * any service process reach every other one at once through the event bus.
   */
  readonly ttlMs?: number;
  /** Tokens kept at most; the oldest go first. Default 10 000. */
  readonly maxEntries?: number;
}

interface Entry {
  token: TokenWithUser;
  readonly until: number;
}

/**
 * Tokens by hash, with their users, kept for a few seconds so that a member's burst of reads
 * costs no lookup per request. Every revocation, disable or weight change is announced on the
 * event bus (in this process at once, in others through the database), and drops the copies;
 * while the bus does not listen, nothing is answered from memory, since news may be missed.
 * Unknown hashes are never kept: a token made a moment ago works at once.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  /** Counts the bus's news, so that a lookup overtaken by a change does not keep what it read before it. */
  private changes = 0;
  /** Lookups under way by hash, with the count of news when each began. */
  private readonly reading = new Map<
    string,
    { changes: number; token: Promise<TokenWithUser | undefined> }
  >();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    options: TokenCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    bus.watchAccess((changed) => {
      this.changes += 1;
      if (changed === "all") return this.entries.clear();
      for (const [hash, entry] of this.entries) {
        if (changed.tokens.has(entry.token.id) || changed.users.has(entry.token.user.id))
          this.entries.delete(hash);
      }
    });
  }

  /** The token whose hash this is, with its user; `undefined` when none is known. */
  async findTokenByHash(hash: string): Promise<TokenWithUser | undefined> {
    const now = Date.now();
    const kept = this.entries.get(hash);
    if (kept && kept.until > now && this.bus.listening) return kept.token;
    this.entries.delete(hash);
    // A burst of one token's requests as its copy ends reads it once; a request arriving after
    // news does not join a read begun before it.
    const reading = this.reading.get(hash);
    if (reading && reading.changes === this.changes) return reading.token;
    const changes = this.changes;
    const lookup = this.store.findTokenByHash(hash);
    const entry = { changes, token: lookup };
    this.reading.set(hash, entry);
    let token: TokenWithUser | undefined;
    try {
      token = await lookup;
    } finally {
      if (this.reading.get(hash) === entry) this.reading.delete(hash);
    }
    if (!token || this.ttlMs <= 0 || changes !== this.changes) return token;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { token, until: now + this.ttlMs });
    return token;
  }

  /** Records a use of the token in the store, keeping the copy's `lastUsedAt` in step. */
  async touch(token: TokenWithUser): Promise<void> {
    const entry = this.entries.get(token.hash);
    if (entry) entry.token = { ...entry.token, lastUsedAt: new Date() };
    await this.store.touchToken(token.id);
  }
}
