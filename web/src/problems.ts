import type { z } from "zod";
import { ApiError, type FieldIssue } from "./api.js";

/** Field errors by path (`cpu`, `env.FOO`, `volumes.0.mountPath`); `""` holds the form's own. */
export type Issues = Readonly<Record<string, string>>;

/** The issues of a failed zod parse, keyed by the path the server would name them under. */
export function zodIssues(error: z.ZodError): Issues {
  const issues: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    issues[path] ??= issue.message;
  }
  return issues;
}

/** The issues of an API refusal: each field it names, and its detail for the form as a whole. */
export function apiIssues(error: unknown): Issues {
  if (!(error instanceof ApiError)) return { "": error instanceof Error ? error.message : String(error) };
  const issues: Record<string, string> = {};
  for (const issue of (error.problem.errors ?? []) as readonly FieldIssue[]) {
    issues[issue.path.replace(/^body\./, "")] ??= issue.message;
  }
  issues[""] = refusalText(error);
  return issues;
}

/** A refusal in words: for quota, what was asked, what is free and what to do. */
export function refusalText(error: ApiError): string {
  const problem = error.problem;
  if (error.slug === "quota-exceeded") {
    const exceeded = (problem["exceeded"] as string[] | undefined) ?? [];
    const used = (problem["used"] ?? {}) as Record<string, number>;
    const share = (problem["share"] ?? {}) as Record<string, number>;
    const asked = (problem["asked"] ?? {}) as Record<string, number>;
    const parts = exceeded.map((kind) => {
      const free = Math.max(0, (share[kind] ?? 0) - (used[kind] ?? 0));
      return `${kind}: asked ${asked[kind] ?? "?"} more, ${free} free of your share of ${share[kind] ?? "?"}`;
    });
    return `Over your fair share of zone ${String(problem["zone"] ?? "")}. ${parts.join("; ")}. Ask for less (fewer replicas or smaller sizes), or shrink or delete something else first.`;
  }
  return error.message;
}
