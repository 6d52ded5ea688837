import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../localzone/paths.js";
import { DEFAULT_WEB_DIR } from "./http/web-ui.js";

/**
 * Builds the web UI when `dist/web` has none, so that `npm start` on a fresh checkout serves it
 * at `/` (`npm run build` builds it too). A failed build leaves the API running; `/` then says
 * how to build the UI.
 */
export function ensureWebUiBuilt(log: (line: string) => void, webDir: string = DEFAULT_WEB_DIR): void {
  if (existsSync(join(webDir, "index.html"))) return;
  log("building the web UI (npm run build:web)");
  const result = spawnSync("npm", ["run", "--silent", "build:web"], { cwd: repoRoot, stdio: "inherit" });
  if (result.status !== 0)
    log(`the web UI did not build (exit ${String(result.status)}); the API still runs`);
}
