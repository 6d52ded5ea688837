import { EventEmitter } from "node:events";
import pg from "pg";
import type { Queries } from "../store/store.js";

const CHANNEL = "pluskube_operations";
/** Payloads are limited to 8000 bytes; beyond this many ids every listener looks for itself. */
const MAX_IDS = 200;
const EVERYTHING = "*";

/**
 * Tells event-stream listeners in every service process that an operation has news (new events
 * or a new status), through PostgreSQL LISTEN/NOTIFY. Listeners also poll, so a lost
 * notification only delays a stream.
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

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on("notification", (message) => {
      if (message.channel === CHANNEL) this.emit(message.payload ?? EVERYTHING);
    });
    client.on("error", () => {
      client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      this.reconnectLater();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }

  private reconnectLater(): void {
    if (this.closed) return;
    setTimeout(() => {
      if (!this.closed) this.connect().catch(() => this.reconnectLater());
    }, 1000).unref();
  }

  private emit(payload: string): void {
    this.emitter.emit("news", payload === EVERYTHING ? EVERYTHING : new Set(payload.split(",")));
  }

  /** Announces news of operations, on the given connection (inside a transaction it is sent at commit). */
  async notify(queries: Queries, operationIds: readonly string[]): Promise<void> {
    if (operationIds.length === 0) return;
    const payload = operationIds.length > MAX_IDS ? EVERYTHING : operationIds.join(",");
    if (this.connectionString) {
      await queries.executor.executeSql("select pg_notify($1, $2)", [CHANNEL, payload]);
    } else {
      this.emit(payload);
    }
  }

  /** Calls `listener` whenever the operation may have news; returns the unsubscribe function. */
  subscribe(operationId: string, listener: () => void): () => void {
    const handler = (ids: Set<string> | typeof EVERYTHING) => {
      if (ids === EVERYTHING || ids.has(operationId)) listener();
    };
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
