import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { ensureToolchain } from "../../../localzone/toolchain.js";
import { binaryPath } from "../../../localzone/toolchain/build.js";
import { components, type GoComponent } from "../../../localzone/toolchain/components.js";

const run = promisify(execFile);

/** The toolchain components a containerd of its own needs to run containers. */
export const CONTAINERD_COMPONENTS = ["runc", "containerd", "containerd-shim-runc-v2", "ctr"] as const;

function toolchainBinary(name: string): string {
  const c = components().find((x): x is GoComponent => x.kind === "go" && x.name === name);
  if (!c) throw new Error(`the toolchain has no component ${name}`);
  return binaryPath(c);
}

/**
 * Where every shim puts its socket, whatever containerd's configuration says (`/run/containerd/s`):
 * the one thing of this containerd that cannot live in its own folder, removed again when empty.
 */
const SHIM_FOLDERS = ["/run/containerd/s", "/run/containerd"] as const;

/**
 * A containerd of a test's own: its root, state and socket in a temporary folder, none of the
 * zone's, and no CRI plugin (nothing here is a Kubernetes node). `ctr()` runs ctr against it.
 */
export class ThrowawayContainerd {
  readonly dir: string;
  readonly socket: string;
  readonly ctrPath: string;
  /** Parent of the containers' cgroups, its own so that nothing is left in a shared one. */
  readonly cgroupParent: string;
  private readonly env: NodeJS.ProcessEnv;
  private process: ChildProcess | undefined;
  /** Of the machine-wide folders the shims make (see `SHIM_FOLDERS`), those there before. */
  private readonly foldersBefore = SHIM_FOLDERS.filter((folder) => existsSync(folder));

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "pluskube-ctd-"));
    this.socket = join(this.dir, "containerd.sock");
    this.cgroupParent = basename(this.dir);
    this.ctrPath = toolchainBinary("ctr");
    const path = ["runc", "containerd-shim-runc-v2"].map((n) => dirname(toolchainBinary(n)));
    this.env = { ...process.env, PATH: [...path, process.env["PATH"] ?? ""].join(":") };
  }

  /** Builds what is missing, then starts containerd and waits until it answers. */
  static async start(): Promise<ThrowawayContainerd> {
    const built = await ensureToolchain({ only: [...CONTAINERD_COMPONENTS], say: () => undefined });
    if (built.failed.length > 0) throw new Error(`toolchain failed: ${built.failed.join(", ")}`);
    const ctd = new ThrowawayContainerd();
    const config = join(ctd.dir, "config.toml");
    writeFileSync(
      config,
      [
        "version = 3",
        `root = "${join(ctd.dir, "root")}"`,
        `state = "${join(ctd.dir, "state")}"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images", "io.containerd.podsandbox.controller.v1.podsandbox", "io.containerd.sandbox.controller.v1.shim"]',
        "[grpc]",
        `  address = "${ctd.socket}"`,
        "[ttrpc]",
        `  address = "${ctd.socket}.ttrpc"`,
        "[debug]",
        `  address = "${join(ctd.dir, "debug.sock")}"`,
        "",
      ].join("\n"),
    );
    ctd.process = spawn(toolchainBinary("containerd"), ["--config", config], {
      env: ctd.env,
      stdio: ["ignore", "ignore", "ignore"],
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await ctd.ctr(["version"]);
        return ctd;
      } catch (err) {
        if (Date.now() > deadline || ctd.process.exitCode !== null) {
          await ctd.stop();
          throw new Error(`containerd did not start: ${String(err)}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Runs ctr in namespace k8s.io against this containerd; resolves to its stdout. */
  async ctr(args: readonly string[]): Promise<string> {
    const { stdout } = await run(this.ctrPath, ["--address", this.socket, "--namespace", "k8s.io", ...args], {
      env: this.env,
    });
    return stdout;
  }

  /**
   * Starts `ctr run --rm --seccomp [options] IMAGE ID` (with the runtime's default seccomp
   * profile), leaving the caller to read its output and end it.
   */
  spawnRun(id: string, image: string, options: readonly string[] = []): ChildProcess {
    const args = [
      "run",
      "--rm",
      // ctr's FIFOs and the runc shim's state default to /run/containerd/{fifo,runc}, which the
      // zone's node counts as its own traces: here they stay in this containerd's folder.
      "--fifo-dir",
      join(this.dir, "fifo"),
      "--runc-root",
      join(this.dir, "runc"),
      "--seccomp",
      "--cgroup",
      `/${this.cgroupParent}/${id}`,
      ...options,
      image,
      id,
    ];
    return spawn(this.ctrPath, ["--address", this.socket, "--namespace", "k8s.io", ...args], {
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Kills every task, deletes every container, stops containerd and deletes its folder. */
  async stop(): Promise<void> {
    if (this.process && this.process.exitCode === null) {
      const containers = await this.ctr(["containers", "ls", "-q"]).catch(() => "");
      for (const id of containers.split("\n").filter(Boolean)) {
        await this.ctr(["tasks", "kill", "-s", "KILL", id]).catch(() => "");
        await this.waitStopped(id);
        await this.ctr(["tasks", "delete", id]).catch(() => "");
        await this.ctr(["containers", "delete", id]).catch(() => "");
      }
      const exited = new Promise((r) => this.process?.once("exit", r));
      this.process.kill("SIGTERM");
      await exited;
    }
    for (const hierarchy of existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : []) {
      const parent = join("/sys/fs/cgroup", hierarchy, this.cgroupParent);
      if (existsSync(parent)) rmdirSync(parent);
    }
    rmSync(this.dir, { recursive: true, force: true });
    for (const folder of SHIM_FOLDERS) {
      if (this.foldersBefore.includes(folder)) continue;
      try {
        rmdirSync(folder);
      } catch {
        // Not empty (the zone's node runs shims too) or gone: left to whoever made it.
      }
    }
  }

  /** Resolves once a container's task is gone or stopped. */
  async waitStopped(id: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const tasks = await this.ctr(["tasks", "ls"]).catch(() => "");
      const line = tasks.split("\n").find((l) => l.split(/\s+/)[0] === id);
      if (!line || line.includes("STOPPED")) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
