/**
 * An app's logs and port-forward through the service when its pod runs on the local zone's real
 * node: the member reads the last 1,000 lines their app wrote, and talks HTTP to a port of the
 * pod through the WebSocket tunnel. Prints how long each takes.
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
