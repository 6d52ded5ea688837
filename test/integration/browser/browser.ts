/// <reference lib="dom" />
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../../../localzone/paths.js";

/** Debian's Chromium, which the toolchain installs (`npm run toolchain`, component `chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Builds the web UI when `dist/web` has none (`npm test` builds it first). */
export function ensureWebBuilt(): void {
  if (existsSync(join(repoRoot, "dist", "web", "index.html"))) return;
  const result = spawnSync("npm", ["run", "--silent", "build:web"], { cwd: repoRoot, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`npm run build:web failed (exit ${String(result.status)})`);
}

/** Chromium, headless; as root it cannot use its sandbox. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`npm run toolchain\`, which installs Debian's chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** One violation axe-core reports, in a line a failing assertion can show. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: string;
}

/**
 * axe-core's violations of impact "serious" or "critical" on the page as it is. The library is
 * evaluated through the DevTools protocol, which the page's CSP does not govern, so the page
 * keeps its real policy while it is checked.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document): Promise<unknown> } }).axe;
    return (await axe.run(document)) as {
      violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
    };
  });
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? "",
      help: violation.help,
      targets: violation.nodes.map((node) => JSON.stringify(node.target)).join(", "),
    }));
}

/** Writes a screenshot for the README when `PLUSKUBE_SCREENSHOTS=1`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env["PLUSKUBE_SCREENSHOTS"] !== "1") return;
  const dir = join(repoRoot, "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
