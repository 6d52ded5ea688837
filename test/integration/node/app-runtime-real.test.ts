/**
 * An app's logs and port-forward through the service when its pod runs on the local zone's real
 * node: the member reads the last 1,000 lines their app wrote, follows its log as it writes
 * more, and talks HTTP to a port of the pod through the WebSocket tunnel. Prints how long each
 * takes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImage } from "../../../localzone/images.js";
import { localZone } from "../../../localzone/zone.js";
import { closed, openTunnel } from "../../service/app-runtime/tunnel-client.js";
import { MemberService, SETTLE_MS } from "../helpers/member-service.js";
import { uniqueProject } from "../helpers/project-stack.js";
import { answerJson } from "../helpers/real-node.js";

const project = uniqueProject("it-rt");
let member: MemberService;
let url: string;

beforeAll(async () => {
  member = await MemberService.start("it-runtime-real", localZone());
  await member.apply(`/v1/projects/${project}`, { zone: "local" });
  await member.apply(`/v1/projects/${project}/apps/web`, {
    image: localImage("echo").ref,
    probe: { path: "/healthz" },
    env: { VERSION: "tunnelled" },
  });
  url = await member.appUrl(project, "web");
  await answerJson(url, "/healthz");
}, SETTLE_MS * 2);

afterAll(async () => {
  await member?.close([project]);
}, SETTLE_MS);

/** Open follows and event streams a token may have (the service's default). */
const STREAMS_PER_TOKEN = 5;

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
};

describe("an app's runtime views on the real node", () => {
  it("gives the last 1,000 lines of its log", async () => {
    await answerJson(url, "/log?lines=1500");
    const times: number[] = [];
    let text = "";
    for (let i = 0; i < 10; i += 1) {
      const started = performance.now();
      const response = await member.service.get(
        `/v1/projects/${project}/apps/web/logs?tail=1000`,
        member.token,
      );
      times.push(performance.now() - started);
      expect(response.status, response.text).toBe(200);
      text = response.text;
    }
    const lines = text.split("\n").filter((line) => line.includes("echo log line"));
    console.log(
      `logs?tail=1000 of one pod: ${text.length} bytes, p50 ${percentile(times, 0.5)} ms, max ${percentile(times, 1)} ms (10 requests)`,
    );
    expect(lines).toHaveLength(1000);
    expect(lines.at(-1)).toContain("echo log line 1500 of 1500");
    expect(lines[0]).toContain("echo log line 501 of 1500");
  }, 120_000);

  it("follows its log: lines written after the stream opened arrive, and the stream ends when the client goes", async () => {
    const logs = `${member.service.url}/v1/projects/${project}/apps/web/logs`;
    const follow = (signal?: AbortSignal) =>
      fetch(`${logs}?follow=true&tail=1`, { headers: { authorization: `Bearer ${member.token}` }, signal });
    // A last line for the stream to begin with, so that its arrival shows the follow is open.
    await answerJson(url, "/log?lines=1");
    const client = new AbortController();
    const response = await follow(client.signal);
    if (response.status !== 200)
      throw new Error(`follow refused: ${response.status} ${await response.text()}`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    const arrived = async (line: string, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(line)) {
        if (Date.now() > deadline)
          throw new Error(`'${line.trim()}' did not arrive; the stream has: ${text.slice(-500)}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    await arrived("echo log line 1 of 1\n");

    // Each write's last line is its own (`… 101 of 101`, `… 102 of 102`, …): it marks that write.
    const delays: number[] = [];
    for (let i = 101; i <= 120; i += 1) {
      const started = performance.now();
      await answerJson(url, `/log?lines=${i}`);
      await arrived(`echo log line ${i} of ${i}\n`);
      delays.push(performance.now() - started);
    }
    console.log(
      `followed log, from the write's request to the line's arrival: p50 ${percentile(delays, 0.5)} ms, max ${percentile(delays, 1)} ms (20 writes)`,
    );
    expect(text).toMatch(/^\[web-[a-z0-9-]+\] echo log line 120 of 120$/m);

    client.abort();
    await reading;
    // The follow's place is given back once the service sees the client gone: with the other
    // places of the token taken, one more follow is accepted only then.
    const others = Array.from({ length: STREAMS_PER_TOKEN - 1 }, () => new AbortController());
    for (const other of others) expect((await follow(other.signal)).status).toBe(200);
    const last = new AbortController();
    others.push(last);
    await expect.poll(async () => (await follow(last.signal)).status, { timeout: 10_000 }).toBe(200);
    const beyond = await follow();
    expect(beyond.status).toBe(429);
    for (const other of others) other.abort();
  }, 120_000);

  it("forwards a port of its pod through a WebSocket tunnel", async () => {
    const outcome = await openTunnel(
      member.service.url,
      `/v1/projects/${project}/apps/web/port-forward?port=8080`,
      member.token,
    );
    if (!outcome.open) throw new Error(`tunnel refused: ${outcome.status} ${JSON.stringify(outcome.body)}`);
    const ws = outcome.ws;
    let received = "";
    ws.on("message", (data) => {
      received += (data as Buffer).toString("utf8");
    });
    const roundTrip = async (): Promise<string> => {
      received = "";
      ws.send(Buffer.from("GET /version HTTP/1.1\r\nHost: tunnel\r\nConnection: keep-alive\r\n\r\n"));
      const deadline = Date.now() + 10_000;
      while (!/\r\n\r\n[\s\S]*\}\s*$/.test(received) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return received;
    };
    const times: number[] = [];
    let answer = "";
    for (let i = 0; i < 50; i += 1) {
      const started = performance.now();
      answer = await roundTrip();
      times.push(performance.now() - started);
    }
    console.log(
      `port-forward HTTP round trip over one tunnel: p50 ${percentile(times, 0.5)} ms, p99 ${percentile(times, 0.99)} ms (50 requests)`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/"version": *"tunnelled"/);
    ws.close();
    expect(await closed(ws)).toBeGreaterThan(0);
  }, 120_000);
});
