import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type RequestHandler, type Router } from "express";
import { repoRoot } from "../../localzone/paths.js";

/** Where `npm run build` writes the web UI. */
export const DEFAULT_WEB_DIR = join(repoRoot, "dist", "web");

/**
 * The web UI's policy: every script, style, image and connection from this origin only, no
 * inline script or style, no frames, no plugins. A member's text reaches the page as text
 * nodes, and this policy keeps even a slip from running as script.
 */
export const WEB_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The UI's page paths (its router's); any other path stays a 404 of the service. */
const PAGE_PATHS = /^\/(?:projects(?:\/[^/]+){0,4}|operations\/[^/]+|admin)?\/?$/;

const setPolicy: RequestHandler = (_req, res, next) => {
  res.setHeader("content-security-policy", WEB_UI_CSP);
  next();
};

/**
 * The built web UI at `/`: its hashed assets cached for a year, and `index.html` for each of its
 * page paths so that a reload of `/projects/web` opens that page. Other paths are left to the
 * service's routes and its 404. Without a build, the pages say how to make one.
 */
export function webUiRoutes(webDir: string = DEFAULT_WEB_DIR): Router {
  const router = express.Router();
  const index = join(webDir, "index.html");
  router.use(setPolicy);
  router.use(
    "/assets",
    express.static(join(webDir, "assets"), {
      immutable: true,
      maxAge: "365d",
      index: false,
      fallthrough: false,
    }),
  );
  router.use(express.static(webDir, { index: false, maxAge: 0 }));
  router.get(PAGE_PATHS, (req, res, next) => {
    if (!req.accepts("html")) {
      next();
      return;
    }
    if (!existsSync(index)) {
      res
        .status(503)
        .type("text/plain")
        .send("The web UI is not built: run `npm run build` (or `npm run build:web`), then reload.\n");
      return;
    }
    res.setHeader("cache-control", "no-cache");
    res.sendFile(index);
  });
  return router;
}
