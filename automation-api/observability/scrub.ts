/** Values to blank out wherever they appear. */
export type ScrubList = ReadonlySet<string>;

export const REDACTED = "[redacted]";

/**
 * Keys whose values are credentials whatever they hold: headers (`authorization`, `cookie`,
 * `set-cookie`, `x-api-key`), and fields named like a token, password, passphrase, secret or key.
 */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$|token|password|passphrase|secret|credential|private.?key|access.?key/i;

/** Keys matching SECRET_KEY that name a credential without holding one. */
const HARMLESS_KEY = /^(token_?id|tokenid|tokens?_?count|secret_?count|secretcount|has_?secrets?)$/i;

/** Credentials recognisable by their shape in free text (messages, error texts, engine output). */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  // The service's own tokens.
  [/\bpk_[A-Za-z0-9_-]{8,}/g, REDACTED],
  // A bearer or basic credential quoted from a header.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // The password of a connection URL (postgres://user:password@host).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+):[^@/?#\s]+@/gi, `$1:${REDACTED}@`],
  // key=value and "key": "value" pairs of credentials in a text.
  [
    /\b(password|passphrase|secret|token|access_?key|secret_?key)(["']?\s*[:=]\s*["']?)[^\s"'&,;]+/gi,
    `$1$2${REDACTED}`,
  ],
];

/** Deepest nesting scrubbed; a log line deeper than this is cut rather than written unseen. */
const MAX_DEPTH = 8;

/**
 * A copy of `value` fit for a log: credential-named keys blanked, credential-shaped text and
 * the listed secret values replaced. Strings, arrays and plain objects are walked; other values
 * are kept as they are.
 */
export function scrubLogValue(value: unknown, secrets: ScrubList, depth = 0): unknown {
  if (typeof value === "string") return scrubText(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (Array.isArray(value)) return value.map((item) => scrubLogValue(item, secrets, depth + 1));
  // Errors go through the logger's `err` serializer, which scrubs what it takes out of them.
  if (value instanceof Date || value instanceof Error) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] =
      SECRET_KEY.test(key) && !HARMLESS_KEY.test(key) && item !== null && item !== undefined && item !== ""
        ? REDACTED
        : scrubLogValue(item, secrets, depth + 1);
  }
  return copy;
}

function scrubText(text: string, secrets: ScrubList): string {
  let scrubbed = text;
  for (const secret of secrets)
    if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
  for (const [shape, replacement] of SECRET_SHAPES) scrubbed = scrubbed.replace(shape, replacement);
  return scrubbed;
}
