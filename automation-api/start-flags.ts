import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../localzone/paths.js";

const PROGRAM = "automation-api/main.ts";

/**
 * The flags `npm start` hands node before the service's program (package.json's `start`
 * script, `tsx [flags] automation-api/main.ts`). Read from there rather than restated, so that
 * the tests and benchmarks that run the program, or host the service in their own process, run
 * it on the runtime `npm start` gives it.
 */
export function serviceNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    scripts?: Record<string, string>;
  };
  const script = manifest.scripts?.["start"] ?? "";
  const words = script.trim().split(/\s+/);
  const program = words.indexOf(PROGRAM);
  if (words[0] !== "tsx" || program < 0 || words.slice(1, program).some((word) => !word.startsWith("--"))) {
    throw new Error(`package.json's start script must read "tsx [--flag ...] ${PROGRAM}", not "${script}"`);
  }
  return words.slice(1, program);
}
