import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  binaryPath,
  buildGo,
  installApt,
  installKwokStages,
  installFile,
  installPlugin,
  installPulumiHelpers,
  type Outcome,
  type Say,
} from "./toolchain/build.js";
import {
  components,
  NODE_BINARIES,
  postgresBinDir,
  type Component,
  type GoComponent,
  type NodeBinary,
} from "./toolchain/components.js";
import { IMAGES_COMPONENT, ensureLocalImages } from "./images.js";

export { pulumiHome, goEnv, goBuildArgs } from "./toolchain/build.js";
export { components, postgresBinDir, type NodeBinary } from "./toolchain/components.js";

export interface EnsureToolchainOptions {
  /** Component names to build; all when empty. Unknown names are an error. */
  readonly only?: readonly string[];
  /** Receives progress lines; `console.log` by default. */
  readonly say?: Say;
}

export interface ToolchainResult {
  readonly outcomes: ReadonlyMap<string, Outcome>;
  readonly failed: readonly string[];
}

/** Paths of the local zone's binaries, whether built yet or not. */
export interface ToolchainPaths {
  readonly pulumi: string;
  readonly pulumiBinDir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
  /** kwok's Stage definitions, gathered from its module when it is built. */
  readonly kwokStages: string;
  readonly weed: string;
  /** Debian's PostgreSQL bin folder, when installed. */
  readonly postgresBinDir: string | undefined;
  /** The real node's binaries, by component name (`runc`, `containerd`, `cni-bridge`, `kubelet`, ...). */
  readonly node: Readonly<Record<NodeBinary, string>>;
}

function goComponent(name: string): GoComponent {
  const c = components().find((x) => x.name === name);
  if (!c || c.kind !== "go") throw new Error(`unknown Go component ${name}`);
  return c;
}

export function toolchainPaths(): ToolchainPaths {
  const pulumi = binaryPath(goComponent("pulumi"));
  return {
    pulumi,
    pulumiBinDir: dirname(pulumi),
    etcd: binaryPath(goComponent("etcd")),
    kubeApiserver: binaryPath(goComponent("kube-apiserver")),
    kubeControllerManager: binaryPath(goComponent("kube-controller-manager")),
    kubeScheduler: binaryPath(goComponent("kube-scheduler")),
    kwok: binaryPath(goComponent("kwok")),
    kwokStages: join(dirname(binaryPath(goComponent("kwok"))), "stages.yaml"),
    weed: binaryPath(goComponent("seaweedfs")),
    postgresBinDir: postgresBinDir(),
    node: Object.fromEntries(NODE_BINARIES.map((name) => [name, binaryPath(goComponent(name))])) as Record<
      NodeBinary,
      string
    >,
  };
}

/**
 * The components named in `only` (all when none) and what they build against, in the order of
 * `all`, which lists each dependency before what needs it: runc comes with libseccomp-dev's
 * headers, a provider with the Pulumi CLI that installs it.
 */
export function selectComponents(all: readonly Component[], only: readonly string[]): Component[] {
  if (only.length === 0) return [...all];
  const wanted = new Set(only);
  for (const c of [...all].reverse()) {
    if (wanted.has(c.name) && c.kind === "go") for (const d of c.dependsOn ?? []) wanted.add(d);
  }
  return all.filter((c) => wanted.has(c.name));
}

/**
 * Builds (one at a time: Go already uses every core) whatever of the toolchain is missing from
 * the cache, installs the providers as Pulumi plugins, and reports each component's outcome.
 * A failed component does not stop the others, except those that depend on it.
 */
export async function ensureToolchain(opts: EnsureToolchainOptions = {}): Promise<ToolchainResult> {
  const say = opts.say ?? ((line: string) => console.log(line));
  const all = components();
  const only = opts.only ?? [];
  const unknown = only.filter((n) => !all.some((c) => c.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown component(s) ${unknown.join(", ")}; known: ${all.map((c) => c.name).join(", ")}`,
    );
  }
  const selected = selectComponents(all, only);
  const outcomes = new Map<string, Outcome>();
  const pulumi = goComponent("pulumi");
  for (const [i, c] of selected.entries()) {
    const index = `[${i + 1}/${selected.length}]`;
    const blocked = (c.kind === "go" ? (c.dependsOn ?? []) : []).filter(
      (d) => outcomes.get(d)?.status === "failed",
    );
    if (blocked.length > 0) {
      say(`${index} ${c.name}: skipped, needs ${blocked.join(", ")}`);
      outcomes.set(c.name, { status: "skipped", reason: `needs ${blocked.join(", ")}` });
      continue;
    }
    let outcome: Outcome;
    try {
      outcome = c.kind === "go" ? await buildGo(c, index, say) : await installApt(c, index, say);
    } catch (err) {
      outcome = { status: "failed", reason: String(err) };
    }
    if (
      c.kind === "go" &&
      c.name === "pulumi" &&
      (outcome.status === "built" || outcome.status === "cached")
    ) {
      installPulumiHelpers(dirname(outcome.path));
    }
    if (c.kind === "go" && c.besidePulumi && (outcome.status === "built" || outcome.status === "cached")) {
      const pulumiBin = binaryPath(pulumi);
      if (existsSync(pulumiBin)) installFile(readFileSync(outcome.path), join(dirname(pulumiBin), c.binary));
    }
    if (c.kind === "go" && c.name === "kwok" && (outcome.status === "built" || outcome.status === "cached")) {
      try {
        installKwokStages(c);
      } catch (err) {
        outcome = { status: "failed", reason: `gathering kwok's stages: ${String(err)}` };
      }
    }
    if (
      c.kind === "go" &&
      c.name === IMAGES_COMPONENT &&
      (outcome.status === "built" || outcome.status === "cached")
    ) {
      const builderSeconds = outcome.status === "built" ? (outcome.record?.seconds ?? 0) : 0;
      outcome = await ensureLocalImages(outcome.path, index, say, builderSeconds);
    }
    if (c.kind === "go" && c.plugin && outcome.status !== "failed") {
      const pulumiBin = binaryPath(pulumi);
      const installed = await installPlugin(c, pulumiBin, say);
      if (installed.status === "failed") outcome = installed;
    }
    if (outcome.status === "failed") {
      say(`${index} ${c.name}: FAILED: ${outcome.reason}`);
    }
    outcomes.set(c.name, outcome);
  }
  const failed = [...outcomes].filter(([, o]) => o.status === "failed").map(([n]) => n);
  return { outcomes, failed };
}

async function main(): Promise<void> {
  const started = Date.now();
  const result = await ensureToolchain({ only: process.argv.slice(2) });
  console.log("");
  console.log("component                 status   seconds  peak MiB");
  for (const [name, o] of result.outcomes) {
    const record = o.status === "built" || o.status === "cached" ? o.record : undefined;
    const why = o.status === "failed" || o.status === "skipped" ? `  ${o.reason}` : "";
    console.log(
      `${name.padEnd(26)}${o.status.padEnd(9)}${String(record?.seconds ?? "").padStart(7)}` +
        `${String(record?.maxRssMb ?? "").padStart(10)}${why}`,
    );
  }
  console.log(`\ntoolchain: ${Math.round((Date.now() - started) / 1000)}s`);
  if (result.failed.length > 0) {
    console.error(`toolchain: failed: ${result.failed.join(", ")}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
