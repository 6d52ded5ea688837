import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (works from sources and from the compiled `dist/`). */
export const repoRoot: string = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes("/dist/") ? resolve(here, "..", "..") : resolve(here, "..");
})();

/** Folder of the Go wrapper modules, one per upstream project. */
export const goModulesDir = join(repoRoot, "localzone", "go");

/** Where built tools and Go's caches live: `~/.cache/pluskube`, or `$PLUSKUBE_CACHE_DIR`. */
export function cacheDir(): string {
  return process.env["PLUSKUBE_CACHE_DIR"] ?? join(homedir(), ".cache", "pluskube");
}

/** Where the local zone keeps its state: `~/.local/share/pluskube`, or `$PLUSKUBE_DATA_DIR`. */
export function dataDir(): string {
  return process.env["PLUSKUBE_DATA_DIR"] ?? join(homedir(), ".local", "share", "pluskube");
}

/** The local zone's own folder: pid files, logs, certificates, the databases' files. */
export function zoneDir(): string {
  return join(dataDir(), "localzone");
}

/** Go's module and build caches, shared by every component build. */
export function goCacheDirs(): { readonly modCache: string; readonly buildCache: string } {
  return { modCache: join(cacheDir(), "go", "mod"), buildCache: join(cacheDir(), "go", "build") };
}

/** The folder one component's binaries are kept in, keyed by the version they were built from. */
export function binDir(component: string, version: string): string {
  return join(cacheDir(), "bin", `${component}-${version}`);
}

/** Expands a leading `~`, and maps the default data folder onto `$PLUSKUBE_DATA_DIR` when that is set. */
export function resolveZonePath(path: string): string {
  const defaultData = "~/.local/share/pluskube";
  if (path === defaultData || path.startsWith(defaultData + "/")) {
    return dataDir() + path.slice(defaultData.length);
  }
  return path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path;
}
