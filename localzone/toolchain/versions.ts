import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { goModulesDir, repoRoot } from "../paths.js";

/** The version of an npm package as pinned in package.json (exact pins only). */
export function npmPin(name: string): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const pin = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
  if (pin === undefined || !/^\d+\.\d+\.\d+$/.test(pin)) {
    throw new Error(`package.json must pin ${name} to an exact version, got ${pin ?? "nothing"}`);
  }
  return pin;
}

/** The version of a module required by one of the wrapper modules under `localzone/go/`. */
export function goPin(wrapper: string, module: string): string | undefined {
  const file = join(goModulesDir, wrapper, "go.mod");
  if (!existsSync(file)) return undefined;
  const goMod = readFileSync(file, "utf8");
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, "m").exec(goMod);
  return match?.[1];
}

/** `v1.36.3` → `1.36.3`; pseudo-versions are kept whole. */
export function bare(version: string): string {
  return version.replace(/^v/, "");
}

/**
 * A short hash of a wrapper module's own sources (`go.mod`, `go.sum`, `*.go`, in every folder of
 * it), for components whose code lives in the wrapper: a change to that code must key a new build.
 */
export function wrapperSourceHash(wrapper: string): string {
  const root = join(goModulesDir, wrapper);
  const hash = createHash("sha256");
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => {
      const base = f.split("/").pop() ?? f;
      return base === "go.mod" || base === "go.sum" || (base.endsWith(".go") && !base.endsWith("_test.go"));
    })
    .sort();
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}
