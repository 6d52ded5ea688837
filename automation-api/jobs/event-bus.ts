import { EventEmitter } from "node:events";
import pg from "pg";
import type { Queries } from "../store/store.js";

const CHANNEL = "pluskube_operations";
/** Payloads are limited to 8000 bytes: at most this many ids (37 bytes each) go in one notification. */
const MAX_IDS = 200;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/**
 * The only payloads the bus acts on: a list of operation ids, or `token:` / `user:` and a list
 * of ids whose access ended. Anything else on the channel (from whoever may NOTIFY on the
 * database) is dropped, so that no payload can wake every stream at once.
 */
const PAYLOAD = new RegExp(`^(?:(token|user):)?(${UUID}(?:,${UUID}){0,${MAX_IDS - 1}})$`);

/** Whose access ended: tokens revoked, users disabled. */
export interface AccessEnded {
  readonly tokens?: readonly string[];
  readonly users?: readonly string[];
}

type News =
  | { readonly kind: "operations" | "token" | "user"; readonly ids: ReadonlySet<string> }
  | { readonly kind: "resync" };

/** Reads a notification payload; `undefined` for anything not well-formed. */
export function parsePayload(payload: string): News | undefined {
  const match = PAYLOAD.exec(payload);
  if (!match?.[2]) return undefined;
  const kind = match[1] === "token" || match[1] === "user" ? match[1] : "operations";
  return { kind, ids: new Set(match[2].split(",")) };
}

function chunks(ids: readonly string[]): string[][] {
  const result: string[][] = [];
  for (let start = 0; start < ids.length; start += MAX_IDS) result.push(ids.slice(start, start + MAX_IDS));
  return result;
}

/**
 * Tells event-stream listeners in every service process that an operation has news (new events
 * or a new status), or that a token's access ended, through PostgreSQL LISTEN/NOTIFY: one
 * connection per process feeds every stream, so streams do not poll the store. When the
 * listening connection was lost, notifications may have been missed: every listener is woken
 * once it is back.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private closed = false;

  private constructor(private readonly connectionString: string | undefined) {
    this.emitter.setMaxListeners(0);
  }

  /** A bus that listens on the database; `undefined` connection string gives an in-process bus. */
  static async start(connectionString: string | undefined): Promise<EventBus> {
    const bus = new EventBus(connectionString);
    if (connectionString) await bus.connect();
    return bus;
  }

  private async connect(reconnecting = false): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      const news = parsePayload(message.payload);
      if (news) this.emitter.emit("news", news);
    });
    client.on("error", () => {
      client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      this.reconnectLater();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    if (reconnecting) this.emitter.emit("news", { kind: "resync" } satisfies News);
  }

  private reconnectLater(): void {
    if (this.closed) return;
    setTimeout(() => {
      if (!this.closed) this.connect(true).catch(() => this.reconnectLater());
    }, 1000).unref();
  }

  /** Whether news from other processes reaches this one now (always, for an in-process bus). */
  get listening(): boolean {
    return !this.connectionString || this.client !== undefined;
  }

  private async send(
    queries: Queries,
    prefix: string,
    ids: readonly string[],
    options: { local?: boolean } = {},
  ): Promise<void> {
    for (const part of chunks(ids)) {
      const payload = prefix + part.join(",");
      const news = parsePayload(payload);
      // In-process listeners hear it at once when asked (a cache must not answer the next
      // request from what this request just changed); others hear it back from the database.
      // Inside a transaction, only once it is committed: a listener that reads the store to
      // check must find what it was told of.
      if (news && (options.local || !this.connectionString)) {
        queries.afterCommit(() => this.emitter.emit("news", news));
      }
      if (this.connectionString) {
        await queries.executor.executeSql("select pg_notify($1, $2)", [CHANNEL, payload]);
      }
    }
  }

  /** Announces news of operations, on the given connection (inside a transaction it is sent at commit). */
  async notify(queries: Queries, operationIds: readonly string[]): Promise<void> {
    await this.send(queries, "", operationIds);
  }

  /** Announces that tokens were revoked or users disabled, so that their open streams end. */
  async notifyAccessEnded(queries: Queries, ended: AccessEnded): Promise<void> {
    await this.send(queries, "token:", ended.tokens ?? [], { local: true });
    await this.send(queries, "user:", ended.users ?? [], { local: true });
  }

  /**
   * Announces that a user changed in a way that does not end their access (their weight), so
   * that copies of them kept in every process are read again; streams check and go on.
   */
  async notifyUserChanged(queries: Queries, userId: string): Promise<void> {
    await this.send(queries, "user:", [userId], { local: true });
  }

  /**
   * Calls `listener` with the tokens and users whose access may have changed, or with `"all"`
   * after news may have been missed; returns the unsubscribe function.
   */
  watchAccess(
    listener: (changed: { tokens: ReadonlySet<string>; users: ReadonlySet<string> } | "all") => void,
  ): () => void {
    const none = new Set<string>();
    return this.on((news) => {
      if (news.kind === "resync") listener("all");
      else if (news.kind === "token") listener({ tokens: news.ids, users: none });
      else if (news.kind === "user") listener({ tokens: none, users: news.ids });
    });
  }

  /** Calls `listener` whenever the operation may have news; returns the unsubscribe function. */
  subscribe(operationId: string, listener: () => void): () => void {
    return this.on((news) => {
      if (news.kind === "resync" || (news.kind === "operations" && news.ids.has(operationId))) listener();
    });
  }

  /**
   * Calls `listener` when the token may have been revoked or its user disabled (the listener
   * checks which); returns the unsubscribe function.
   */
  subscribeAccess(access: { tokenId: string; userId: string }, listener: () => void): () => void {
    return this.on((news) => {
      if (
        news.kind === "resync" ||
        (news.kind === "token" && news.ids.has(access.tokenId)) ||
        (news.kind === "user" && news.ids.has(access.userId))
      ) {
        listener();
      }
    });
  }

  private on(handler: (news: News) => void): () => void {
    this.emitter.on("news", handler);
    return () => this.emitter.off("news", handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}
