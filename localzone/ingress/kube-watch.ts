/**
 * List and watch over the zone's API with the admin client certificate, the way the other zone
 * processes reach it (`zone/kube.ts`); a watch is one long GET whose body is one JSON event per
 * line.
 */
import { request } from "node:https";
import { kubeRequest, type KubeAccess } from "../zone/kube.js";
import { GoneError, type ListResult, type WatchEvent, type WatchTransport } from "./reflector.js";

/** Seconds the server keeps one watch open; a little jitter so the watches do not end together. */
const WATCH_SECONDS = 240;

function withQuery(path: string, params: Record<string, string>): string {
  const url = new URL(path, "https://kube.invalid");
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return `${url.pathname}${url.search}`;
}

interface ListBody<T> {
  readonly items?: readonly T[];
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly message?: string;
}

/** The real transport: `zone/kube.ts` for lists, a streamed GET for watches. */
export function kubeWatchTransport(access: KubeAccess): WatchTransport {
  return {
    async list<T>(path: string): Promise<ListResult<T>> {
      const items: T[] = [];
      let token: string | undefined;
      for (;;) {
        const page = withQuery(path, { limit: "500", ...(token === undefined ? {} : { continue: token }) });
        const res = await kubeRequest<ListBody<T>>(access, "GET", page);
        if (res.status === 410) throw new GoneError(`list ${path}: continue token expired`);
        if (res.status !== 200) throw new Error(`list ${path}: ${res.status} ${res.body?.message ?? ""}`);
        items.push(...(res.body.items ?? []));
        token = res.body.metadata?.continue || undefined;
        if (token === undefined) return { items, resourceVersion: res.body.metadata?.resourceVersion ?? "" };
      }
    },

    watch<T>(
      path: string,
      resourceVersion: string,
      onEvent: (event: WatchEvent<T>) => "stop" | undefined,
      signal: AbortSignal,
    ): Promise<void> {
      const seconds = WATCH_SECONDS + Math.floor(Math.random() * 60);
      const url = new URL(
        withQuery(path, {
          watch: "1",
          allowWatchBookmarks: "true",
          resourceVersion,
          timeoutSeconds: String(seconds),
        }),
        access.server,
      );
      return new Promise((resolve, reject) => {
        const req = request(url, {
          method: "GET",
          ca: access.ca,
          cert: access.cert,
          key: access.key,
          headers: { accept: "application/json" },
          signal,
        });
        // Nothing at all for this long (bookmarks come about every minute) means a dead connection.
        req.setTimeout((seconds + 30) * 1000, () => req.destroy(new Error(`watch ${path} went silent`)));
        req.on("error", (err) => (signal.aborted ? resolve() : reject(err)));
        req.on("response", (res) => {
          if (res.statusCode === 410) {
            res.resume();
            reject(new GoneError(`watch ${path}: 410 Gone`));
            return;
          }
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`watch ${path}: ${res.statusCode ?? 0}`));
            return;
          }
          let buffered = "";
          let stopped = false;
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (stopped) return;
            buffered += chunk;
            let newline: number;
            while (!stopped && (newline = buffered.indexOf("\n")) >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              if (line === "") continue;
              if (onEvent(JSON.parse(line) as WatchEvent<T>) === "stop") {
                stopped = true;
                req.destroy();
                resolve();
              }
            }
          });
          // A connection that drops mid-stream ends the watch like the server's timeout: the
          // reflector watches again from the last version it saw.
          res.on("close", () => resolve());
        });
        req.end();
      });
    },
  };
}
