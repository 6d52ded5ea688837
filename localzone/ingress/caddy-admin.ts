/** Caddy's admin API, as the controller and `zone:status` use it. */
import { request } from "node:http";

interface AdminResponse {
  readonly status: number;
  readonly text: string;
}

function adminRequest(adminUrl: string, method: string, path: string, body?: string): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, adminUrl),
      {
        method,
        timeout: 30_000,
        headers: body === undefined ? {} : { "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** What the controller needs of Caddy (an interface so the controller's logic can be tested alone). */
export interface CaddyAdmin {
  /** Replaces Caddy's whole configuration; resolves once the new one runs, rejects with Caddy's error. */
  load(config: unknown): Promise<void>;
  /** The configuration Caddy runs. */
  current(): Promise<unknown>;
}

export function caddyAdmin(adminUrl: string): CaddyAdmin {
  return {
    async load(config: unknown): Promise<void> {
      const res = await adminRequest(adminUrl, "POST", "/load", JSON.stringify(config));
      if (res.status !== 200)
        throw new Error(`caddy refused the configuration (${res.status}): ${res.text.trim()}`);
    },
    async current(): Promise<unknown> {
      const res = await adminRequest(adminUrl, "GET", "/config/");
      if (res.status !== 200) throw new Error(`GET /config/: ${res.status} ${res.text.trim()}`);
      return JSON.parse(res.text) as unknown;
    },
  };
}

/** The host names Caddy serves on one server (`http` or `https`), or undefined when it does not answer. */
export async function servedHosts(adminUrl: string, server: "http" | "https"): Promise<string[] | undefined> {
  try {
    const res = await adminRequest(adminUrl, "GET", `/config/apps/http/servers/${server}/routes`);
    if (res.status !== 200) return undefined;
    const routes = (JSON.parse(res.text) ?? []) as { match?: { host?: string[] }[] }[];
    return routes.flatMap((r) => r.match?.flatMap((m) => m.host ?? []) ?? []);
  } catch {
    return undefined;
  }
}
