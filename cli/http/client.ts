import { CliError, ExitCode } from "../exit-codes.js";
import { ApiError, problemOf } from "./problem.js";
import { cliVersion } from "../version.js";

/** One request: a body sent as JSON (or as a merge patch), a query, and how to name it in errors. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** `merge` sends the body as `application/merge-patch+json`. */
  readonly patch?: "merge";
  readonly signal?: AbortSignal;
  readonly accept?: string;
}

/** A page of a list as every list of the API answers it. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** The REST API of one service, called with one token; the token never leaves the headers. */
export class ApiClient {
  constructor(
    readonly endpoint: string,
    private readonly token: string,
  ) {}

  /** The answer as it comes, for streams; a refusal or failure throws. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(this.endpoint + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      "user-agent": `pluskube-cli/${cliVersion()}`,
      accept: options.accept ?? "application/json",
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] =
        options.patch === "merge" ? "application/merge-patch+json" : "application/json";
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new CliError(
        `cannot reach the service at ${this.endpoint}: ${reasonOf(error)}`,
        ExitCode.failure,
      );
    }
    if (response.status >= 400) {
      throw new ApiError(response.status, await problemOf(response), `${method} ${url.pathname}`);
    }
    return response;
  }

  /** The answer's JSON, or `undefined` for 204 No Content. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined;
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${path}: the service's answer is not JSON`, ExitCode.failure);
    }
  }

  /** A GET that must answer with a body. */
  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const found = await this.json<T>("GET", path, options);
    if (found === undefined)
      throw new CliError(`GET ${path}: the service answered no body`, ExitCode.failure);
    return found;
  }

  /** Every item of a list, following `next` to the last page. */
  async list<T>(path: string, query: RequestOptions["query"] = {}): Promise<Page<T>> {
    const items: T[] = [];
    let next: string | null = path;
    let first = true;
    while (next !== null) {
      const page: Page<T> = await this.get<Page<T>>(next, first ? { query: { limit: 200, ...query } } : {});
      items.push(...page.items);
      next = page.next;
      first = false;
    }
    return { items, next: null };
  }
}

/** Why a fetch failed, in a few words (undici hides the system error under `cause`). */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
