import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { markUsed, unusedFor } from "./toolchain/cache-use.js";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, repoRoot } from "./paths.js";
import { goEnv, logsDir, type BuildRecord, type Outcome, type Say } from "./toolchain/build.js";
import { formatDuration, runLogged, tail } from "./toolchain/run.js";
import { wrapperSourceHash } from "./toolchain/versions.js";

/** Registry host of the zone's own images; nothing is ever pulled from it. */
export const LOCAL_REGISTRY = "pluskube.local";

/** Name of the toolchain component that builds the image builder, then the images. */
export const IMAGES_COMPONENT = "images";

/** One image built from a Go program under `localzone/images/<name>/`. */
export interface LocalImageSource {
  /** Image and binary name, e.g. `echo`; the image is `pluskube.local/<name>:<tag>`. */
  readonly name: string;
  /** What the image is for. */
  readonly description: string;
  /** Ports the image declares (`8080/tcp`); the programs listen on `$PORT`, 8080 by default. */
  readonly ports: readonly string[];
}

/** Every image the toolchain builds, the pod sandbox first. */
export const LOCAL_IMAGE_SOURCES: readonly LocalImageSource[] = [
  { name: "pause", description: "the pod sandbox: holds the pod's namespaces, reaps orphans", ports: [] },
  {
    name: "echo",
    description: "HTTP app that reports its environment and probes the network, database and bucket",
    ports: ["8080/tcp"],
  },
  {
    name: "misbehave",
    description: "exceeds its memory, burns CPU (reporting what it got), or crashes",
    ports: ["8080/tcp"],
  },
  {
    name: "escape",
    description: "tries to break out of its container and reports each attempt",
    ports: ["8080/tcp"],
  },
];

/** Where an image would be once built, derived from its sources alone. */
export interface PlannedImage {
  readonly name: string;
  /** Hash of the image's sources, the builder's sources and the Go version. */
  readonly tag: string;
  /** `pluskube.local/<name>:<tag>`. */
  readonly ref: string;
  /** The OCI image layout tar `ctr images import` reads. */
  readonly tar: string;
}

/** A built image, as the builder described it. */
export interface LocalImage extends PlannedImage {
  /** Digest of the image manifest, what containerd lists for the ref after import. */
  readonly digest: string;
  readonly configDigest: string;
  /** Size of the image's one (gzip) layer in bytes. */
  readonly layerSize: number;
  /** Size of the static binary in bytes. */
  readonly binarySize: number;
  readonly tarSize: number;
  /** `65532:65532`: every image runs as a numeric non-root user. */
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly exposedPorts: readonly string[];
}

/** Folder of the images' Go sources. */
export const imageSourcesDir = join(repoRoot, "localzone", "images");

/** Folder of the built image tars, their descriptions and the manifest. */
export function imagesCacheDir(): string {
  return join(cacheDir(), "images");
}

/** The manifest of the current images (`images.json`), rewritten after each build. */
export function imagesManifestPath(): string {
  return join(imagesCacheDir(), "images.json");
}

let goVersion: string | undefined;

/** The Go toolchain's version: a new compiler makes other binaries, so it keys the tags too. */
function currentGoVersion(): string {
  if (goVersion !== undefined) return goVersion;
  const result = spawnSync("go", ["env", "GOVERSION"], { env: goEnv(), encoding: "utf8" });
  const version = result.stdout?.trim();
  if (result.status !== 0 || !version) {
    throw new Error(`go env GOVERSION failed (is Go installed?): ${result.stderr ?? String(result.error)}`);
  }
  goVersion = version;
  return version;
}

/**
 * The tag of an image: a hash of its sources (every file in its folder `root` but tests and
 * dot files), of the builder's sources, its ports and the Go version, so that any change to
 * what goes into the image names a new one and an unchanged image keeps its name, wherever
 * the sources are.
 */
export function imageTag(
  source: LocalImageSource,
  root: string = join(imageSourcesDir, source.name),
): string {
  if (!existsSync(join(root, "go.mod"))) throw new Error(`no image sources at ${root}`);
  const hash = createHash("sha256");
  hash.update(`builder ${wrapperSourceHash("images")}\0go ${currentGoVersion()}\0`);
  hash.update(`ports ${source.ports.join(",")}\0`);
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => !f.endsWith("_test.go") && !f.split("/").some((part) => part.startsWith(".")))
    .filter((f) => statSync(join(root, f)).isFile())
    .sort();
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

/** The images the current sources make, whether built yet or not. */
export function plannedImages(): PlannedImage[] {
  return LOCAL_IMAGE_SOURCES.map((source) => {
    const tag = imageTag(source);
    return {
      name: source.name,
      tag,
      ref: `${LOCAL_REGISTRY}/${source.name}:${tag}`,
      tar: join(imagesCacheDir(), `${source.name}-${tag}.tar`),
    };
  });
}

function summaryPath(image: PlannedImage): string {
  return image.tar.replace(/\.tar$/, ".json");
}

function readBuilt(image: PlannedImage): LocalImage | undefined {
  const summary = summaryPath(image);
  if (!existsSync(image.tar) || !existsSync(summary)) return undefined;
  const built = JSON.parse(readFileSync(summary, "utf8")) as Omit<LocalImage, keyof PlannedImage>;
  return { ...built, ...image };
}

/**
 * The zone's images as built from the current sources, the pod sandbox (`pause`) first.
 * Fails naming the command to run when one is not built yet.
 */
export function localImages(): LocalImage[] {
  return plannedImages().map((image) => {
    const built = readBuilt(image);
    if (!built) {
      throw new Error(`image ${image.ref} is not built; run: npm run toolchain -- ${IMAGES_COMPONENT}`);
    }
    return built;
  });
}

/** One image of `localImages()` by name. */
export function localImage(name: string): LocalImage {
  const image = localImages().find((i) => i.name === name);
  if (!image)
    throw new Error(`no local image ${name}; known: ${LOCAL_IMAGE_SOURCES.map((s) => s.name).join(", ")}`);
  return image;
}

/**
 * Builds every image whose tar is missing with the image builder at `builder`, deletes tars
 * of other tags long unused, and writes the manifest. Images are built one at a time (each `go build` uses
 * every core). `builderSeconds`, the time the builder itself took when it was just built, is
 * counted in the reported time.
 */
export async function ensureLocalImages(
  builder: string,
  index: string,
  say: Say,
  builderSeconds = 0,
): Promise<Outcome> {
  const started = Date.now();
  mkdirSync(imagesCacheDir(), { recursive: true });
  mkdirSync(logsDir(), { recursive: true });
  const built: LocalImage[] = [];
  let anyBuilt = false;
  for (const image of plannedImages()) {
    const source = LOCAL_IMAGE_SOURCES.find((s) => s.name === image.name);
    if (!source) continue;
    const label = `${index} ${IMAGES_COMPONENT}: ${image.ref}`;
    const cached = readBuilt(image);
    if (cached) {
      markUsed(summaryPath(image));
      built.push(cached);
      continue;
    }
    const logFile = join(logsDir(), `image-${image.name}-${image.tag}.log`);
    rmSync(logFile, { force: true });
    say(`${label}: building (log: ${logFile})`);
    const args = [
      "-name",
      image.name,
      "-src",
      join(imageSourcesDir, image.name),
      "-tag",
      image.tag,
      "-out",
      image.tar,
      "-summary",
      summaryPath(image),
      ...source.ports.flatMap((p) => ["-expose", p]),
    ];
    const result = await runLogged(builder, args, {
      env: goEnv(),
      logFile,
      tickSeconds: 30,
      onTick: (s) => say(`${label}: still building, ${formatDuration(s)} elapsed`),
    });
    const made = result.code === 0 ? readBuilt(image) : undefined;
    if (!made) {
      say(tail(logFile));
      return { status: "failed", reason: `building image ${image.ref} failed; see ${logFile}`, logFile };
    }
    say(
      `${label}: built in ${formatDuration(result.seconds)}, layer ${mib(made.layerSize)}, ` +
        `binary ${mib(made.binarySize)}`,
    );
    built.push(made);
    anyBuilt = true;
  }
  pruneOtherTags(built);
  writeFileSync(imagesManifestPath(), JSON.stringify({ images: built }, null, 2) + "\n");
  const record: BuildRecord = {
    component: IMAGES_COMPONENT,
    version: built.map((i) => `${i.name}:${i.tag}`).join(" "),
    command: `pluskube-image-builder (${built.length} images)`,
    seconds: builderSeconds + Math.round((Date.now() - started) / 1000),
    builtAt: new Date().toISOString(),
  };
  if (!anyBuilt) say(`${index} ${IMAGES_COMPONENT}: images cached (${imagesManifestPath()})`);
  return { status: anyBuilt ? "built" : "cached", path: imagesManifestPath(), record };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Tars and summaries of tags these sources do not make and no run has used for
 * `UNUSED_BUILD_DAYS`: another checkout on the machine may be running its own tags.
 */
function pruneOtherTags(current: readonly LocalImage[]): void {
  const keep = new Set(current.map((i) => `${i.name}-${i.tag}`));
  const names = new Set(LOCAL_IMAGE_SOURCES.map((s) => s.name));
  for (const entry of readdirSync(imagesCacheDir())) {
    const match = /^((.+)-[0-9a-f]{12})\.(tar|json)$/.exec(entry);
    const base = match?.[1] ?? "";
    if (!match || !names.has(match[2] ?? "") || keep.has(base)) continue;
    if (unusedFor(join(imagesCacheDir(), `${base}.json`))) {
      rmSync(join(imagesCacheDir(), entry), { force: true });
    }
  }
}
