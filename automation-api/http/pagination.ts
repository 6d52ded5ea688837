import type { Request } from "express";
import { z } from "zod";
import { ValidationError } from "../domain/errors.js";
import { queryOf } from "./validate.js";

/** Items a page holds when the request names no `limit`. */
export const PAGE_LIMIT_DEFAULT = 50;
/** Most items one page may hold. */
export const PAGE_LIMIT_MAX = 200;

/**
 * An operation's events page with larger pages: a run has hundreds of them, and before pages
 * existed an operation showed its first 1000.
 */
export const EVENT_PAGE_LIMIT_DEFAULT = 500;
export const EVENT_PAGE_LIMIT_MAX = 1000;

/** The query of a list: how many items (`defaultLimit` unless asked, at most `maxLimit`), and where the previous page ended. */
function pageQuery(defaultLimit: number, maxLimit: number) {
  return z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(maxLimit)
      .default(defaultLimit)
      .describe(`Items per page, 1 to ${maxLimit}; default ${defaultLimit}`),
    cursor: z
      .string()
      .optional()
      .describe("Where the page starts: the `cursor` of the previous page's `next` link, as given"),
  });
}

/** The query of every list. */
export const PageQuery = pageQuery(PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX);
/** The query of an operation, whose events come in pages. */
export const EventPageQuery = pageQuery(EVENT_PAGE_LIMIT_DEFAULT, EVENT_PAGE_LIMIT_MAX);

/** One page of a list: the items, and the link to the next page (null on the last one). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** A list request, parsed: how many items, and the sort key the page starts after. */
export interface PageRequest {
  readonly limit: number;
  /** The key of the previous page's last item; undefined for the first page. */
  readonly after: readonly string[] | undefined;
  /** Builds the `next` link of a page ending at `key`. */
  readonly nextLink: (key: readonly string[]) => string;
}

const CursorBody = z.object({ list: z.string(), after: z.array(z.string()).min(1) }).strict();

function badCursor(): ValidationError {
  return new ValidationError([
    {
      path: "cursor",
      message: "is not a cursor this list gave out; use the `next` link of a page as it is, or leave it out",
    },
  ]);
}

/** How a list's pages are read. */
export interface PageOptions {
  /** Patterns each field of the list's sort key matches. Default: one field, any text. */
  readonly keyFields?: readonly RegExp[];
  /** The query schema. Default `PageQuery`. */
  readonly query?: typeof PageQuery;
}

/**
 * Reads `limit` and `cursor` of a request for the list named `list` (cursors are opaque: the
 * previous page's last sort key, tied to the list that gave it out). A bad value is a 400 that
 * says what is allowed.
 */
export function pageRequest(req: Request, list: string, options: PageOptions = {}): PageRequest {
  const keyFields = options.keyFields ?? [/./];
  const query = queryOf(req, options.query ?? PageQuery);
  let after: readonly string[] | undefined;
  if (query.cursor !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(query.cursor, "base64url").toString("utf8"));
    } catch {
      throw badCursor();
    }
    const parsed = CursorBody.safeParse(decoded);
    if (
      !parsed.success ||
      parsed.data.list !== list ||
      parsed.data.after.length !== keyFields.length ||
      !parsed.data.after.every((field, i) => keyFields[i]?.test(field))
    ) {
      throw badCursor();
    }
    after = parsed.data.after;
  }
  const path = `${req.baseUrl}${req.path}`;
  return {
    limit: query.limit,
    after,
    nextLink: (key) => {
      const cursor = Buffer.from(JSON.stringify({ list, after: key })).toString("base64url");
      return `${path}?limit=${query.limit}&cursor=${cursor}`;
    },
  };
}

/** Sort key of rows listed oldest first: creation time (fixed-width, so it sorts as text), then id. */
export function byCreation(row: { readonly createdAt: Date; readonly id: string }): string {
  return `${row.createdAt.toISOString()} ${row.id}`;
}

/**
 * One page of a list held in memory, in the order of `key` (which must be unique and never
 * change for an item): the items after the cursor's key, up to the limit.
 */
export function pageOf<T>(all: readonly T[], key: (item: T) => string, request: PageRequest): Page<T> {
  const after = request.after?.[0];
  const sorted = all
    .map((item) => ({ item, key: key(item) }))
    .filter((entry) => after === undefined || entry.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const items = sorted.slice(0, request.limit);
  const last = items.at(-1);
  return {
    items: items.map((entry) => entry.item),
    next: sorted.length > request.limit && last ? request.nextLink([last.key]) : null,
  };
}

/** The JSON of a page: its items as `present` shows them, and the `next` link. */
export function presentPage<T, U>(
  page: Page<T>,
  present: (item: T) => U,
): { items: U[]; next: string | null } {
  return { items: page.items.map(present), next: page.next };
}
