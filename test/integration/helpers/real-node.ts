import { request } from "node:http";

/** Where the local zone's ingress (Caddy) serves HTTP, on loopback. */
export const INGRESS_HTTP_PORT = 18880;

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/**
 * One GET to an app's URL through the zone's ingress: the connection goes to the ingress on
 * loopback and the `Host` header carries the app's name, as a resolver pointing the zone's
 * domain at 127.0.0.1 would. A connection error is an answer with status 0.
 */
export function viaIngress(appUrl: string, path = "/", timeoutMs = 10_000): Promise<Answer> {
  const host = new URL(appUrl).hostname;
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: INGRESS_HTTP_PORT,
        path,
        method: "GET",
        headers: { host },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            ms: performance.now() - started,
          }),
        );
        res.on("error", (err) => resolve({ status: 0, body: String(err), ms: performance.now() - started }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => resolve({ status: 0, body: String(err), ms: performance.now() - started }));
    req.end();
  });
}

/** The app's JSON answer at `path`, once it answers 200 (a fresh app's route takes a moment). */
export async function answerJson<T>(appUrl: string, path = "/", timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < deadline) {
    last = await viaIngress(appUrl, path);
    if (last.status === 200) return JSON.parse(last.body) as T;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `${appUrl}${path} did not answer 200 in ${timeoutMs} ms; last: ${last?.status} ${last?.body}`,
  );
}
