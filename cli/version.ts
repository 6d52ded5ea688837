import { existsSync, readFileSync } from "node:fs";

let cached: string | undefined;

/**
 * The project's version, which the CLI shares: the package.json above `cli/` (from the sources)
 * or above `dist/cli/` (compiled).
 */
export function cliVersion(): string {
  if (cached) return cached;
  for (const relative of ["../package.json", "../../package.json"]) {
    const file = new URL(relative, import.meta.url);
    if (existsSync(file)) {
      cached = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
      return cached;
    }
  }
  return "unknown";
}
