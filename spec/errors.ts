import type { z } from "zod";

/** One problem with a spec: where it is (`apps[1].cpu`) and what is allowed there. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

/** A well-formed value beyond a limit: where it is, what is wrong, and which limit it passed. */
export interface LimitIssue extends SpecIssue {
  /** The limit's name, such as `limits.smallestDatabaseGB` of the zone, or `quantity`. */
  readonly limit: string;
  /** What the limit allows, as a number or a quantity. */
  readonly allowed: number | string;
}

/** Thrown when a ProjectSpec or ZoneSpec does not validate; lists every problem at once. */
export class SpecError extends Error {
  constructor(
    readonly kind: string,
    readonly issues: readonly SpecIssue[],
  ) {
    super(
      `invalid ${kind}: ${issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ")}`,
    );
    this.name = "SpecError";
  }
}

/** `["apps", 1, "cpu"]` → `apps[1].cpu`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === "number") return `${text}[${key}]`;
    return text ? `${text}.${String(key)}` : String(key);
  }, "");
}

export function toSpecIssues(error: z.ZodError): SpecIssue[] {
  return issuesOf(error.issues);
}

function issuesOf(issues: readonly z.core.$ZodIssue[], at: readonly PropertyKey[] = []): SpecIssue[] {
  return issues.flatMap((issue): SpecIssue[] => {
    const path = [...at, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        message: `unknown field '${key}'; remove it or check its spelling`,
      }));
    }
    // A record's key that its key schema refuses: what the key schema says, at the key.
    if (issue.code === "invalid_key") return issuesOf(issue.issues, path);
    return [{ path: formatPath(path), message: issue.message }];
  });
}

/** Parses with a zod schema and throws a SpecError naming each field path on failure. */
export function parseWith<T extends z.ZodType>(schema: T, kind: string, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new SpecError(kind, toSpecIssues(result.error));
  return result.data;
}
