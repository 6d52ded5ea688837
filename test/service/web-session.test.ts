import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

let service: TestService;
let ana: string;
const webDir = mkdtempSync(join(tmpdir(), "pluskube-web-"));

/** A browser's requests: the session cookie and, when given, the CSRF header; never a bearer token. */
async function asBrowser(
  path: string,
  cookie: string,
  init: { method?: string; csrf?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = { cookie, accept: "application/json" };
  if (init.csrf) headers["x-csrf-token"] = init.csrf;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(service.url + path, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function signIn(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await fetch(`${service.url}/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(201);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const body = (await response.json()) as { csrfToken: string };
  return { cookie: setCookie.split(";")[0] ?? "", csrf: body.csrfToken, setCookie };
}

beforeAll(async () => {
  mkdirSync(join(webDir, "assets"));
  writeFileSync(join(webDir, "index.html"), "<!doctype html><title>ui</title>");
  writeFileSync(join(webDir, "assets", "app-1.js"), "export {};");
  service = await TestService.start({ app: { webDir } });
  ana = await service.user("ana");
});
afterAll(async () => {
  await service.close();
});

describe("web sessions", () => {
  it("exchange a token for an HttpOnly, SameSite=Strict cookie and keep the token out of the answer", async () => {
    const { setCookie } = await signIn(ana);

    expect(setCookie).toMatch(/^pluskube_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(ana);
  });

  it("refuse an unknown token with 401 and set no cookie", async () => {
    const response = await fetch(`${service.url}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "pk_" + "a".repeat(43) }),
    });

    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("act with the token's principal on reads", async () => {
    const { cookie } = await signIn(ana);

    const response = await asBrowser("/v1/me", cookie);

    expect(response.status).toBe(200);
    expect(((await response.json()) as { user: { name: string } }).user.name).toBe("ana");
  });

  it("refuse a change without the session's CSRF token with 403, and take it with the token", async () => {
    const { cookie, csrf } = await signIn(ana);

    const without = await asBrowser("/v1/projects/shop", cookie, {
      method: "PUT",
      body: { zone: "testzone" },
    });
    const wrong = await asBrowser("/v1/projects/shop", cookie, {
      method: "PUT",
      csrf: "x".repeat(43),
      body: { zone: "testzone" },
    });
    const right = await asBrowser("/v1/projects/shop", cookie, {
      method: "PUT",
      csrf,
      body: { zone: "testzone" },
    });

    expect(without.status).toBe(403);
    expect(wrong.status).toBe(403);
    expect(right.status, await right.clone().text()).toBe(202);
  });

  it("refuse a WebSocket upgrade made with the cookie alone", async () => {
    const { cookie } = await signIn(ana);

    // fetch cannot send Upgrade; a raw request does, as a browser's WebSocket handshake would.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${service.url}/v1/projects/shop/apps/web/port-forward?port=8080`, {
        headers: {
          cookie,
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("upgrade", (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 101);
      });
      req.on("error", reject);
      req.end();
    });

    expect(status).toBe(403);
  });

  it("give the CSRF token again after a reload, and end on sign-out", async () => {
    const { cookie, csrf } = await signIn(ana);

    const again = await asBrowser("/v1/session", cookie);
    expect(((await again.json()) as { csrfToken: string }).csrfToken).toBe(csrf);
    const out = await asBrowser("/v1/session", cookie, { method: "DELETE", csrf });
    expect(out.status).toBe(204);

    expect((await asBrowser("/v1/me", cookie)).status).toBe(401);
  });

  it("end when their token is revoked", async () => {
    const bea = await service.user("bea");
    const { cookie } = await signIn(bea);
    const me = (await service.get<{ token: { id: string } }>("/v1/me", bea)).body;

    await service.request("DELETE", `/v1/users/bea/tokens/${me.token.id}`, { token: bea });

    expect((await asBrowser("/v1/me", cookie)).status).toBe(401);
  });

  it("end when they expire", async () => {
    const short = await TestService.start({ app: { webDir, webSessions: { lifetimeSeconds: 1 } } });
    try {
      const token = await short.user("cai");
      const response = await fetch(`${short.url}/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      await new Promise((resolve) => setTimeout(resolve, 1500));

      const after = await fetch(`${short.url}/v1/me`, { headers: { cookie } });

      expect(after.status).toBe(401);
    } finally {
      await short.close();
    }
  });
});

describe("the web UI's files", () => {
  it("are served at / and for page paths under a strict Content Security Policy", async () => {
    for (const path of ["/", "/projects/shop/apps/web/edit", "/operations/abc", "/admin"]) {
      const response = await fetch(service.url + path, { headers: { accept: "text/html" } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("<title>ui</title>");
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain("unsafe-inline");
    }
  });

  it("leave the API's unknown paths to the API's 404", async () => {
    const response = await fetch(`${service.url}/v1/nothing`, { headers: { accept: "text/html" } });

    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/problem\+json/);
  });

  it("cache hashed assets for a year", async () => {
    const response = await fetch(`${service.url}/assets/app-1.js`);

    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toMatch(/max-age=31536000/);
  });
});
