/**
 * An in-memory stand-in for the API's list and watch, for the reflector's and controller's own
 * logic (resume, 410, debounce). The real API is exercised by the integration test.
 */
import type { KubeObject } from "../../../localzone/ingress/objects.js";
import {
  GoneError,
  type ListResult,
  type WatchEvent,
  type WatchTransport,
} from "../../../localzone/ingress/reflector.js";

type Listener = (event: WatchEvent<KubeObject>) => "stop" | undefined;

interface OpenWatch {
  readonly path: string;
  readonly listener: Listener;
  readonly end: () => void;
}

/** Collections by path; every change bumps one resourceVersion counter, as etcd's revision. */
export class FakeApi implements WatchTransport {
  private revision = 100;
  private readonly collections = new Map<string, Map<string, KubeObject>>();
  private readonly open: OpenWatch[] = [];
  /** Versions below this are "compacted": a watch from them gets a 410. */
  oldestVersion = 0;
  /** `list PATH` and `watch PATH from VERSION`, in order. */
  readonly calls: string[] = [];

  private collection(path: string): Map<string, KubeObject> {
    let items = this.collections.get(path);
    if (items === undefined) {
      items = new Map();
      this.collections.set(path, items);
    }
    return items;
  }

  /** Adds or replaces an object and tells open watches, unless the event is `lost` on the way. */
  put(path: string, object: KubeObject, type: "ADDED" | "MODIFIED" = "ADDED", lost = false): void {
    this.revision += 1;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.revision) } };
    this.collection(path).set(`${object.metadata.namespace ?? ""}/${object.metadata.name}`, stored);
    if (!lost) this.send(path, { type, object: stored });
  }

  remove(path: string, namespace: string, name: string, lost = false): void {
    this.revision += 1;
    const items = this.collection(path);
    const old = items.get(`${namespace}/${name}`);
    items.delete(`${namespace}/${name}`);
    if (old && !lost) {
      this.send(path, {
        type: "DELETED",
        object: { ...old, metadata: { ...old.metadata, resourceVersion: String(this.revision) } },
      });
    }
  }

  get(path: string, namespace: string, name: string): KubeObject | undefined {
    return this.collection(path).get(`${namespace}/${name}`);
  }

  /** Sends a bookmark at the current revision. */
  bookmark(path: string): void {
    this.send(path, {
      type: "BOOKMARK",
      object: { metadata: { name: "", resourceVersion: String(this.revision) } },
    });
  }

  /** Ends open watches of a path with an event (or quietly, as a server timeout does). */
  endWatches(path: string, event?: WatchEvent<KubeObject>): void {
    for (const watch of this.open.filter((w) => w.path === path)) {
      if (event) watch.listener(event);
      watch.end();
    }
  }

  get version(): string {
    return String(this.revision);
  }

  watching(path: string): boolean {
    return this.open.some((w) => w.path === path);
  }

  private send(path: string, event: WatchEvent<KubeObject>): void {
    for (const watch of this.open.filter((w) => w.path === path)) {
      if (watch.listener(event) === "stop") watch.end();
    }
  }

  list<T>(path: string): Promise<ListResult<T>> {
    this.calls.push(`list ${path}`);
    return Promise.resolve({
      items: [...this.collection(path).values()] as T[],
      resourceVersion: String(this.revision),
    });
  }

  watch<T>(
    path: string,
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => "stop" | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    this.calls.push(`watch ${path} from ${resourceVersion}`);
    if (Number(resourceVersion) < this.oldestVersion) return Promise.reject(new GoneError("410 Gone"));
    return new Promise((resolve) => {
      const watch: OpenWatch = {
        path,
        listener: onEvent as Listener,
        end: () => {
          const i = this.open.indexOf(watch);
          if (i >= 0) this.open.splice(i, 1);
          resolve();
        },
      };
      this.open.push(watch);
      signal.addEventListener("abort", () => watch.end());
    });
  }
}

/** Waits until `check` holds (polling every few ms), failing after `ms`. */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
