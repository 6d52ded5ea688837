import { CliError, ExitCode } from "../exit-codes.js";

/** An `application/problem+json` document as the service sends it. */
export interface ProblemDocument {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
  readonly [extension: string]: unknown;
}

/** A request the service answered with a problem document (or another error status). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: ProblemDocument | undefined,
    what: string,
  ) {
    const detail = problem?.detail ?? problem?.title ?? `the service answered ${status}`;
    const details = (problem?.errors ?? []).map((issue) => `${issue.path || "(body)"}: ${issue.message}`);
    // 4xx: the service refused what was asked (quota, policy, authorisation, not found,
    // conflict); anything else is a failure the caller may retry.
    super(`${what}: ${detail}`, status >= 400 && status < 500 ? ExitCode.refused : ExitCode.failure, details);
    this.name = "ApiError";
  }

  /** The problem's slug (`quota-exceeded`), from its `urn:pluskube:problem:` type. */
  get slug(): string | undefined {
    return this.problem?.type?.replace(/^urn:pluskube:problem:/, "");
  }
}

/** The problem document of an answer, if it carries one. */
export async function problemOf(response: Response): Promise<ProblemDocument | undefined> {
  const text = await response.text();
  if (!/json/.test(response.headers.get("content-type") ?? "")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as ProblemDocument) : undefined;
  } catch {
    return undefined;
  }
}
