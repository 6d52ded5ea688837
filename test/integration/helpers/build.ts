import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../localzone/paths.js";

/** Folders whose TypeScript the compiled policy pack and stack programs are built from. */
const SOURCES = ["policy", "spec", "components", "stacks", "zones"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The engine runs the policy pack and the stacks' `Pulumi.yaml` programs from `dist/` (its
 * Node.js runners cannot load this ES-module TypeScript), so they must be compiled from the
 * current sources: `npm run build` when `dist/policy/index.js` is missing or older than any of
 * them. `npm test` builds first, so this only builds for a run of the integration suite alone.
 */
export function ensureBuilt(say: (line: string) => void): void {
  const compiled = join(repoRoot, "dist", "policy", "index.js");
  const built = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((dir) => newestSource(join(repoRoot, dir))));
  if (built >= sources) return;
  say("compiling the policy pack and stack programs (npm run build)");
  const result = spawnSync("npm", ["run", "--silent", "build"], { cwd: repoRoot, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${String(result.status)})`);
}
