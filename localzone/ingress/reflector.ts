/**
 * A local copy of one kind of object, kept current by list + watch: the watch resumes from the
 * last resourceVersion seen (bookmarks included), and a 410 Gone (the version has been
 * compacted away) starts over with a fresh list.
 */
import { objectKey, type KubeObject } from "./objects.js";

export interface ListResult<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** A watch event as the API streams it; `ERROR` carries a `Status`. */
export type WatchEvent<T> =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; readonly object: T }
  | { readonly type: "ERROR"; readonly object: { readonly code?: number; readonly message?: string } };

/** Thrown by a transport when the API answers 410 Gone. */
export class GoneError extends Error {}

/** How a reflector reaches the API (the real one is `kube-watch.ts`). */
export interface WatchTransport {
  /** Every object of a collection (following `continue` tokens) and the list's resourceVersion. */
  list<T>(path: string): Promise<ListResult<T>>;
  /**
   * Streams events from `resourceVersion` until the server ends the watch, `signal` aborts it,
   * or `onEvent` returns `"stop"`; resolves then.
   */
  watch<T>(
    path: string,
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => "stop" | undefined,
    signal: AbortSignal,
  ): Promise<void>;
}

export interface ReflectorOptions {
  /** Collection path, with any selector (`/api/v1/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls`). */
  readonly path: string;
  /** Called after every change to the copy (a list, or one event). */
  readonly onChange: () => void;
  readonly log: (line: string) => void;
  /** First pause after a failure; doubles up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Drops what the controller never reads and a large cluster holds a lot of. */
function trimmed<T extends KubeObject>(object: T): T {
  const { managedFields: _managed, ...metadata } = object.metadata as KubeObject["metadata"] & {
    managedFields?: unknown;
  };
  return { ...object, metadata };
}

export class Reflector<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private listed = false;
  /** Lists made so far (the first, and one after every 410). */
  lists = 0;

  constructor(
    private readonly transport: WatchTransport,
    private readonly options: ReflectorOptions,
  ) {}

  /** Whether the first list has arrived. */
  get synced(): boolean {
    return this.listed;
  }

  /** The objects as last seen. */
  values(): T[] {
    return [...this.items.values()];
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { path, log } = this.options;
    const firstBackoff = this.options.backoffMs ?? 500;
    const maxBackoff = this.options.maxBackoffMs ?? 10_000;
    let backoff = firstBackoff;
    let version: string | undefined;
    while (!signal.aborted) {
      try {
        if (version === undefined) {
          const list = await this.transport.list<T>(path);
          this.items.clear();
          for (const item of list.items) this.items.set(objectKey(item), trimmed(item));
          version = list.resourceVersion;
          this.listed = true;
          this.lists += 1;
          this.options.onChange();
        }
        let gone = false;
        const watchStarted = Date.now();
        await this.transport.watch<T>(
          path,
          version,
          (event) => {
            if (event.type === "ERROR") {
              gone = event.object.code === 410;
              if (!gone) log(`watch ${path}: ${event.object.message ?? "error"}`);
              return "stop";
            }
            version = event.object.metadata.resourceVersion ?? version;
            if (event.type === "BOOKMARK") return;
            const key = objectKey(event.object);
            if (event.type === "DELETED") this.items.delete(key);
            else this.items.set(key, trimmed(event.object));
            this.options.onChange();
          },
          signal,
        );
        if (gone) {
          log(`watch ${path}: resourceVersion ${version} is gone; listing again`);
          version = undefined;
        }
        // A watch the server ends at once (not its timeout) must not turn into a busy loop.
        if (!gone && Date.now() - watchStarted < 1000) {
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, maxBackoff);
        } else {
          backoff = firstBackoff;
        }
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GoneError) version = undefined;
        log(`watch ${path}: ${err instanceof Error ? err.message : String(err)}; retrying in ${backoff} ms`);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }
}
