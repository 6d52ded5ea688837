/**
 * What a member sees of an app on the local zone's real node, through the service and the
 * engine: it answers HTTP on its subdomain through the ingress with its environment, an update
 * rolls out while a client polls it without one failed request, memory beyond its limit gets it
 * OOM-killed and restarted with the reason in its status, and its cpu stays within its limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImage } from "../../../localzone/images.js";
import { localZone } from "../../../localzone/zone.js";
import { MemberService, SETTLE_MS } from "../helpers/member-service.js";
import { uniqueProject } from "../helpers/project-stack.js";
import { answerJson, viaIngress, type Answer } from "../helpers/real-node.js";

const project = uniqueProject("it-node");
let member: MemberService;
let webUrl: string;

const web = (version: string) => ({
  image: localImage("echo").ref,
  env: { GREETING: "hello from pluskube", VERSION: version },
  probe: { path: "/healthz" },
  replicas: 2,
});

beforeAll(async () => {
  member = await MemberService.start("it-node-member", localZone());
  await member.apply(`/v1/projects/${project}`, { zone: "local" });
  await member.apply(`/v1/projects/${project}/apps/web`, web("v1"));
  webUrl = await member.appUrl(project, "web");
}, SETTLE_MS * 2);

afterAll(async () => {
  await member?.close([project]);
}, SETTLE_MS);

interface EchoAnswer {
  version: string;
  uid: number;
  gid: number;
  env: Record<string, string>;
  request: { host: string };
}

describe("an app on the real node", () => {
  it("answers HTTP on its subdomain through the ingress, with its environment, as a non-root user", async () => {
    expect(webUrl).toMatch(/^https?:\/\/[a-z0-9-]+\.local\.pluskube\.test\/?$/);
    const answer = await answerJson<EchoAnswer>(webUrl);
    expect(answer.env["GREETING"]).toBe("hello from pluskube");
    expect(answer.version).toBe("v1");
    expect(answer.request.host).toBe(new URL(webUrl).hostname);
    expect(answer.uid).not.toBe(0);
    const unknown = await viaIngress(webUrl.replace(/\/\/[a-z0-9-]+\./, "//no-such-app."));
    expect(unknown.status).toBe(404);
  });

  it(
    "rolls out an update while a client polls it, without one failed request",
    async () => {
      const answers: Answer[] = [];
      const versions = new Set<string>();
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const answer = await viaIngress(webUrl, "/version");
          answers.push(answer);
          if (answer.status === 200) versions.add((JSON.parse(answer.body) as { version: string }).version);
        }
      })();
      const started = Date.now();
      await member.apply(`/v1/projects/${project}/apps/web`, web("v2"));
      // Keep polling until the new version alone answers for a while: the old pods drain.
      const deadline = Date.now() + 120_000;
      let onlyNewSince = 0;
      while (Date.now() < deadline) {
        const last = answers.slice(-20);
        const allNew = last.length === 20 && last.every((a) => a.status === 200 && a.body.includes('"v2"'));
        if (allNew && onlyNewSince === 0) onlyNewSince = Date.now();
        if (!allNew) onlyNewSince = 0;
        if (onlyNewSince > 0 && Date.now() - onlyNewSince > 10_000) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      polling = false;
      await poller;
      const failed = answers.filter((a) => a.status !== 200);
      const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
      const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0);
      console.log(
        `rollout v1 -> v2 under polling: ${answers.length} requests in ${Math.round((Date.now() - started) / 1000)} s, ` +
          `${failed.length} failed, latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`,
      );
      expect(failed.map((a) => `${a.status} ${a.body.slice(0, 200)}`)).toEqual([]);
      expect([...versions].sort()).toEqual(["v1", "v2"]);
    },
    SETTLE_MS,
  );
});

interface AppStatus {
  pods: { restarts: number; lastTermination?: { reason?: string; explanation?: string } }[];
}

describe("an app beyond its limits", () => {
  let hogUrl: string;

  beforeAll(async () => {
    await member.apply(`/v1/projects/${project}/apps/hog`, {
      image: localImage("misbehave").ref,
      probe: { path: "/healthz" },
      env: { CPU_THREADS: "2", CPU_INTERVAL: "3s" },
    });
    hogUrl = await member.appUrl(project, "hog");
    await answerJson(hogUrl, "/healthz");
  }, SETTLE_MS);

  it("gets no more cpu than its limit", async () => {
    await answerJson(hogUrl, "/cpu?start=1");
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const { reports } = await answerJson<{ reports: { cores: number; wallSeconds: number }[] }>(
      hogUrl,
      "/cpu",
    );
    expect(reports.length).toBeGreaterThan(0);
    const cores = Math.max(...reports.map((r) => r.cores));
    console.log(
      `cpu of an app limited to one chunk (250m), burning 2 threads: at most ${cores.toFixed(3)} cores`,
    );
    expect(cores).toBeLessThan(0.3);
  }, 60_000);

  it("is OOM-killed beyond its memory and restarted, and its status says why", async () => {
    await viaIngress(hogUrl, "/oom");
    const deadline = Date.now() + 180_000;
    let status: AppStatus | undefined;
    while (Date.now() < deadline) {
      status = (await member.get<AppStatus>(`/v1/projects/${project}/apps/hog/status`)).body;
      if (status.pods.some((pod) => pod.restarts > 0 && pod.lastTermination?.reason === "OOMKilled")) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const killed = status?.pods.find((pod) => pod.lastTermination?.reason === "OOMKilled");
    expect(killed, JSON.stringify(status)).toBeDefined();
    expect(killed?.restarts).toBeGreaterThan(0);
    expect(killed?.lastTermination?.explanation ?? "").toMatch(/memory/i);
    // Restarted: it answers again.
    await answerJson(hogUrl, "/healthz");
  }, 240_000);
});
