import { z } from "zod";
import type { PathTools } from "./openapi-runtime.js";

const Session = z.object({
  csrfToken: z
    .string()
    .describe("What the X-CSRF-Token header of every change made with the cookie must say"),
  expiresAt: z.string().describe("ISO 8601 date and time; the session also ends with its token"),
});

/** The web UI's sign-in: a token exchanged for an HttpOnly session cookie, and sign-out. */
export function registerSessionPaths({
  route,
  json,
  problems,
}: Pick<PathTools, "route" | "json" | "problems">): void {
  route({
    method: "post",
    path: "/v1/session",
    tags: ["session"],
    summary:
      "Signs a browser in: the token in the body is exchanged for an HttpOnly, SameSite=Strict cookie `pluskube_session`; requests with the cookie act with the token, and changes must carry X-CSRF-Token",
    security: [],
    request: {
      body: { content: { "application/json": { schema: z.object({ token: z.string() }) } }, required: true },
    },
    responses: { "201": json(Session, "Signed in; the cookie is set"), ...problems(400, 401, 429) },
  });
  route({
    method: "get",
    path: "/v1/session",
    tags: ["session"],
    summary: "The cookie's session: its CSRF token again (after a reload) and when it ends",
    responses: { "200": json(Session, "The session"), ...problems(401, 404) },
  });
  route({
    method: "delete",
    path: "/v1/session",
    tags: ["session"],
    summary: "Signs the browser out: the session ends and the cookie is cleared",
    responses: { "204": { description: "Signed out" }, ...problems(401, 403, 404) },
  });
}
