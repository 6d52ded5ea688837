import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGES_COMPONENT, localImages, type LocalImage } from "../../localzone/images.js";
import { ensureToolchain } from "../../localzone/toolchain.js";
import { PINNED_LABEL, importImages, listImages } from "../../localzone/zone/images.js";
import { ThrowawayContainerd } from "./support/throwaway-containerd.js";

/** Resolves with the first stdout line `accept` takes, or rejects after `timeoutMs`. */
function stdoutLine(
  child: ChildProcess,
  accept: (line: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(
      () => reject(new Error(`no matching line in ${timeoutMs} ms: ${buffered}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      const line = lines.find(accept);
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

function exitCode(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function runningPid(ctd: ThrowawayContainerd, id: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = (await ctd.ctr(["tasks", "ls"])).split("\n").find((l) => l.split(/\s+/)[0] === id);
    const [, pid, status] = line?.trim().split(/\s+/) ?? [];
    if (status === "RUNNING" && pid) return Number(pid);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${id} is not running after ${timeoutMs} ms`);
}

function procStatus(pid: number): Record<string, string> {
  const status: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const [key, value] = line.split(":\t");
    if (key && value !== undefined) status[key] = value.trim();
  }
  return status;
}

async function untilHttp(url: string, timeoutMs = 10_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("the local images in a containerd of their own", () => {
  let ctd: ThrowawayContainerd;
  let images: LocalImage[];
  const image = (name: string): LocalImage => {
    const found = images.find((i) => i.name === name);
    if (!found) throw new Error(`no image ${name}`);
    return found;
  };

  beforeAll(async () => {
    const built = await ensureToolchain({ only: [IMAGES_COMPONENT], say: () => undefined });
    expect(built.failed).toEqual([]);
    images = localImages();
    ctd = await ThrowawayContainerd.start();
  }, 900_000);

  afterAll(async () => {
    await ctd?.stop();
  }, 120_000);

  it("imports each image once, at its digest and pinned", async () => {
    const first = await importImages(ctd.ctrPath, ctd.socket, images);
    expect(first.imported).toEqual(images.map((i) => i.ref));

    const listed = await listImages(ctd.ctrPath, ctd.socket);
    for (const i of images) expect(listed.get(i.ref)).toBe(i.digest);
    const lines = (await ctd.ctr(["images", "ls"]))
      .split("\n")
      .filter((l) => l.startsWith("pluskube.local/"));
    expect(lines).toHaveLength(images.length);
    for (const line of lines) expect(line).toContain(PINNED_LABEL);

    const second = await importImages(ctd.ctrPath, ctd.socket, images);
    expect(second).toEqual({ imported: [], present: images.map((i) => i.ref) });
  });

  it("imports again an image containerd holds under its ref at another digest", async () => {
    await ctd.ctr(["images", "tag", "--force", image("pause").ref, image("echo").ref]);
    expect((await listImages(ctd.ctrPath, ctd.socket)).get(image("echo").ref)).toBe(image("pause").digest);

    const result = await importImages(ctd.ctrPath, ctd.socket, images);

    expect(result.imported).toEqual([image("echo").ref]);
    expect((await listImages(ctd.ctrPath, ctd.socket)).get(image("echo").ref)).toBe(image("echo").digest);
  });

  it("runs the pause image as uid 65532 with no capabilities, ending with status 0 on SIGTERM", async () => {
    const child = ctd.spawnRun("pause-1", image("pause").ref);
    const pid = await runningPid(ctd, "pause-1");
    const status = procStatus(pid);
    expect(status["Uid"]).toBe("65532\t65532\t65532\t65532");
    expect(status["CapEff"]).toBe("0000000000000000");
    expect(status["Seccomp"]).toBe("2");

    await ctd.ctr(["tasks", "kill", "-s", "TERM", "pause-1"]);

    expect(await exitCode(child)).toBe(0);
  }, 30_000);

  it("serves the echo app's environment, failing readiness then finishing on SIGTERM", async () => {
    const port = await freePort();
    const child = ctd.spawnRun("echo-1", image("echo").ref, [
      "--net-host",
      "--env",
      `PORT=${port}`,
      "--env",
      "VERSION=v7",
      "--env",
      "SHUTDOWN_DELAY=1s",
    ]);
    const root = (await (await untilHttp(`http://127.0.0.1:${port}/`)).json()) as Record<string, unknown>;
    expect(root["uid"]).toBe(65532);
    expect(root["version"]).toBe("v7");
    expect((root["env"] as Record<string, string>)["VERSION"]).toBe("v7");
    expect(await (await fetch(`http://127.0.0.1:${port}/version`)).json()).toMatchObject({ version: "v7" });
    const probe = (await (
      await fetch(`http://127.0.0.1:${port}/probe?addr=127.0.0.1:${port}&proto=tcp`)
    ).json()) as Record<string, unknown>;
    expect(probe["result"]).toBe("ok");

    await ctd.ctr(["tasks", "kill", "-s", "TERM", "echo-1"]);
    const draining = await fetch(`http://127.0.0.1:${port}/healthz`);
    const stillServing = await fetch(`http://127.0.0.1:${port}/version`);

    expect(draining.status).toBe(503);
    expect(stillServing.status).toBe(200);
    expect(await exitCode(child)).toBe(0);
  }, 30_000);

  it("has the escape image find every attempt blocked in a non-root, seccomp-filtered container", async () => {
    const child = ctd.spawnRun("escape-1", image("escape").ref, ["--env", "PROBE_TIMEOUT=200ms"]);
    const line = await stdoutLine(child, (l) => l.startsWith("{"), 20_000);
    await ctd.ctr(["tasks", "kill", "-s", "KILL", "escape-1"]);
    await exitCode(child);
    const report = JSON.parse(line) as {
      escaped: number;
      blocked: number;
      checks: { name: string; result: string; detail: string }[];
    };

    expect(report.checks.filter((c) => c.result !== "blocked")).toEqual([]);
    expect(report.escaped).toBe(0);
    expect(report.blocked).toBe(report.checks.length);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "host-paths",
        "proc-1-root",
        "open-by-handle",
        "mount-tmpfs",
        "setuid-0",
        "capset-all",
        "unshare-user",
        "ptrace-attach",
        "raw-socket",
        "containerd-socket",
        "node-10.254.254.1:10250",
        "api-service",
        "cloud-metadata",
      ]),
    );
  }, 30_000);

  it("has misbehave killed by the kernel when it exceeds its memory limit", async () => {
    const child = ctd.spawnRun("oom-1", image("misbehave").ref, [
      "--memory-limit",
      String(64 * 1024 * 1024),
      "--env",
      "MODE=oom",
    ]);

    expect(await exitCode(child)).toBe(137);
  }, 30_000);

  it("has misbehave get no more CPU than its quota however many threads burn", async () => {
    const child = ctd.spawnRun("cpu-1", image("misbehave").ref, [
      "--cpus",
      "0.25",
      "--env",
      "MODE=cpu",
      "--env",
      "CPU_THREADS=2",
      "--env",
      "CPU_INTERVAL=2s",
    ]);
    const line = await stdoutLine(child, (l) => l.startsWith("{"), 10_000);
    await ctd.ctr(["tasks", "kill", "-s", "KILL", "cpu-1"]);
    await exitCode(child);
    const report = JSON.parse(line) as { cores: number; threads: number };

    expect(report.threads).toBe(2);
    expect(report.cores).toBeGreaterThan(0.1);
    expect(report.cores).toBeLessThan(0.35);
  }, 30_000);

  it("has misbehave crash with the status it is given", async () => {
    const child = ctd.spawnRun("crash-1", image("misbehave").ref, [
      "--env",
      "MODE=crash",
      "--env",
      "EXIT_CODE=5",
      "--env",
      "CRASH_AFTER=0s",
    ]);

    expect(await exitCode(child)).toBe(5);
  }, 30_000);
});
