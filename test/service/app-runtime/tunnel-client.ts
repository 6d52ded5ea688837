import type { IncomingHttpHeaders } from "node:http";
import { WebSocket } from "ws";

/** How a port-forward request ended: an open tunnel, or the HTTP problem that refused it. */
export type TunnelOutcome =
  | { readonly open: true; readonly ws: WebSocket }
  | {
      readonly open: false;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Record<string, unknown>;
    };

/**
 * Opens a port-forward WebSocket to `path` of the service at `base` (an http:// URL), with
 * `headers` beside the token's (such as `X-Forwarded-For`).
 */
export function openTunnel(
  base: string,
  path: string,
  token?: string,
  headers: Record<string, string> = {},
): Promise<TunnelOutcome> {
  const ws = new WebSocket(base.replace(/^http/, "ws") + path, {
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return new Promise((resolve, reject) => {
    ws.on("open", () => resolve({ open: true, ws }));
    ws.on("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      response.on("end", () =>
        resolve({
          open: false,
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: JSON.parse(text || "{}") as Record<string, unknown>,
        }),
      );
    });
    ws.on("error", reject);
  });
}

/** The next message the tunnel brings, as text. */
export function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once("message", (data: Buffer) => resolve(data.toString("utf8"))));
}

/** The close code of the tunnel once it closes. */
export function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code: number) => resolve(code)));
}
