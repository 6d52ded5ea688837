import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dataDir } from "../spec/zone.js";

export { dataDir, resolveZonePath } from "../spec/zone.js";

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
