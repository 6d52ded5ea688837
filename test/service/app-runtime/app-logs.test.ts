import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePod } from "../fake-namespace.js";
import { runtimeFixture, type RuntimeFixture } from "./fixture.js";

let f: RuntimeFixture;
const LOGS = "/v1/projects/shop/apps/web/logs";
/** The service's default of open streams per token. */
const STREAMS_PER_TOKEN = 5;

function bodyOf(response: Response): ReadableStream<Uint8Array> {
  if (!response.body) throw new Error(`no body: ${response.status}`);
  return response.body;
}

/** Reads a streamed response until `predicate` holds for what arrived, or it ends. */
async function readUntil(body: ReadableStream<Uint8Array>, predicate: (text: string) => boolean) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { text, ended: true, reader };
    text += decoder.decode(value);
    if (predicate(text)) return { text, ended: false, reader };
  }
}

beforeAll(async () => {
  f = await runtimeFixture();
  f.shop.apps.set("web", {
    deployments: [],
    replicaSets: [],
    pods: [fakePod("web-a"), fakePod("web-b")],
    events: [],
  });
  f.shop.logs.set("web-a", "a1\na2\na3\n");
  f.shop.logs.set("web-a/previous", "panic: out of cheese\n");
  f.shop.logs.set("web-b", "b1\n");
});
afterAll(async () => {
  await f.service.close();
});

describe("an app's log", () => {
  it("gives the last lines of one pod", async () => {
    const response = await f.service.get(`${LOGS}?pod=web-a&tail=2`, f.reader);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(response.text).toBe("a2\na3\n");
  });

  it("gives every pod's lines, each prefixed with its pod", async () => {
    const response = await f.service.get(LOGS, f.ana);

    expect(response.text).toBe("[web-a] a1\n[web-a] a2\n[web-a] a3\n[web-b] b1\n");
  });

  it("asks the cluster for 200 lines when neither tail nor since is given, and bounds the bytes", async () => {
    f.shop.logRequests.length = 0;
    await f.service.get(`${LOGS}?pod=web-b`, f.ana);

    expect(f.shop.logRequests[0]?.options).toMatchObject({ tailLines: 200, limitBytes: 1024 * 1024 });
  });

  it("passes since as seconds", async () => {
    f.shop.logRequests.length = 0;
    await f.service.get(`${LOGS}?pod=web-b&since=10m`, f.ana);

    expect(f.shop.logRequests[0]?.options).toMatchObject({ sinceSeconds: 600, tailLines: undefined });
  });

  it("gives the previous container's log after a crash", async () => {
    const response = await f.service.get(`${LOGS}?pod=web-a&previous=true`, f.ana);

    expect(response.text).toBe("panic: out of cheese\n");
  });

  it.each([
    ["tail=0", "tail"],
    ["tail=99999", "tail"],
    ["tail=lots", "tail"],
    ["since=5x", "since"],
    ["since=8d", "since"],
    ["previous=yes", "previous"],
    ["follow=1", "follow"],
    ["pod=Web_A", "pod"],
    ["colour=red", "colour"],
  ])("refuses %s with 400 naming the parameter", async (query, field) => {
    const response = await f.service.get(`${LOGS}?${query}`, f.ana);

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(response.body["errors"])).toContain(field);
  });

  it("reaches only the app's own pods (404 for any other name)", async () => {
    const response = await f.service.get(`${LOGS}?pod=db-0`, f.ana);

    expect(response.status).toBe(404);
    expect(response.body["detail"]).toMatch(/pod 'db-0'/);
  });

  it("is the same 404 for another member, and 401 for a revoked token", async () => {
    expect((await f.service.get(LOGS, f.bob)).status).toBe(404);
    expect((await f.service.get(LOGS, f.revoked)).status).toBe(401);
  });

  it("says the pod cannot be reached when the cluster cannot reach its node (502)", async () => {
    f.shop.refusedLogs.set("web-b", 500);
    try {
      const response = await f.service.get(`${LOGS}?pod=web-b`, f.ana);

      expect(response.status).toBe(502);
      expect(response.body["type"]).toMatch(/pod-unreachable$/);
      expect(response.body["detail"]).toMatch(/kubelet of its node did not serve it/);
    } finally {
      f.shop.refusedLogs.delete("web-b");
    }
  });

  it("says the log is not there yet when the container has not run (409)", async () => {
    f.shop.refusedLogs.set("web-b", 400);
    try {
      const response = await f.service.get(`${LOGS}?pod=web-b&previous=true`, f.ana);

      expect(response.status).toBe(409);
      expect(response.body["type"]).toMatch(/pod-not-ready$/);
    } finally {
      f.shop.refusedLogs.delete("web-b");
    }
  });
});

describe("a followed log", () => {
  it("streams new lines as they come, prefixed with the pod", async () => {
    const response = await fetch(`${f.service.url}${LOGS}?follow=true`, {
      headers: { authorization: `Bearer ${f.ana}` },
    });
    expect(response.status).toBe(200);
    const body = bodyOf(response);
    const first = await readUntil(body, (text) => text.includes("[web-b] b1\n"));
    first.reader.releaseLock();
    f.shop.followed.get("web-a")?.write("a4\n");
    const next = await readUntil(body, (text) => text.includes("a4"));

    expect(next.text).toBe("[web-a] a4\n");
    await next.reader.cancel();
  });

  it("ends when its token is revoked", async () => {
    const token = await f.projectToken("read");
    const response = await fetch(`${f.service.url}${LOGS}?pod=web-a&follow=true`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    const body = bodyOf(response);
    const first = await readUntil(body, (text) => text.includes("a3\n"));
    first.reader.releaseLock();

    await f.revoke(token.id);
    const rest = await readUntil(body, () => false);

    expect(rest.ended).toBe(true);
    expect(rest.text).toMatch(/the log ends: the token has been revoked/);
    expect(f.shop.followed.has("web-a")).toBe(false);
  });

  it("gives its token's stream place back when the client goes away, so a follow at the cap is taken", async () => {
    const token = (await f.projectToken("read")).token;
    const follow = (signal?: AbortSignal) =>
      fetch(`${f.service.url}${LOGS}?pod=web-b&follow=true`, {
        headers: { authorization: `Bearer ${token}` },
        signal,
      });
    const controllers = Array.from({ length: STREAMS_PER_TOKEN }, () => new AbortController());
    for (const controller of controllers) expect((await follow(controller.signal)).status).toBe(200);
    const over = await follow();
    expect(over.status).toBe(429);

    controllers[0]?.abort();

    const again = new AbortController();
    controllers.push(again);
    // The place comes back once the server sees the connection close; until then, 429.
    await expect.poll(async () => (await follow(again.signal)).status).toBe(200);
    expect((await follow()).status).toBe(429);
    for (const controller of controllers) controller.abort();
  });

  it("gives its token's stream place back when the cluster refuses the log", async () => {
    const token = (await f.projectToken("read")).token;
    const follow = () =>
      fetch(`${f.service.url}${LOGS}?pod=web-b&follow=true`, {
        headers: { authorization: `Bearer ${token}` },
      });
    f.shop.refusedLogs.set("web-b", 500);
    try {
      for (let i = 0; i <= STREAMS_PER_TOKEN; i += 1) expect((await follow()).status).toBe(502);
    } finally {
      f.shop.refusedLogs.delete("web-b");
    }
    const controller = new AbortController();

    const response = await fetch(`${f.service.url}${LOGS}?pod=web-b&follow=true`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });

    expect(response.status).toBe(200);
    controller.abort();
  });

  it("stops following the cluster when the client goes away", async () => {
    const controller = new AbortController();
    const response = await fetch(`${f.service.url}${LOGS}?pod=web-b&follow=true`, {
      headers: { authorization: `Bearer ${f.ana}` },
      signal: controller.signal,
    });
    const first = await readUntil(bodyOf(response), (text) => text.includes("b1\n"));
    first.reader.releaseLock();
    expect(f.shop.followed.has("web-b")).toBe(true);

    controller.abort();
    await expect.poll(() => f.shop.followed.has("web-b")).toBe(false);
  });
});
