import type { RunEvent } from "../runner/runner.js";

/**
 * What a member is told about a failed run. The engine's and the providers' own words name the
 * zone's hosts, its PostgreSQL administrator and the service's files; members get what failed,
 * the reason in words of their spec where the failure is theirs to fix, and a reference (the
 * run's id) under which the service's log keeps the full text for an operator.
 */

/** A failure whose cause can be told without the zone's internals. First match wins. */
interface KnownFailure {
  readonly pattern: RegExp;
  readonly reason: (match: RegExpExecArray) => string;
}

/**
 * The one table of failures members can act on or should know the kind of, in the spirit of
 * pulumi-kubernetes-operator's `pulumi_errors.go`. Anything else is "could not be completed".
 */
const KNOWN_FAILURES: readonly KnownFailure[] = [
  // The API server's refusal of an object of the member's spec names the object and the rule
  // (quota, Pod Security, a field's value), nothing of the zone.
  {
    pattern: /\b([A-Za-z0-9.-]+ "[^"\n]+" is (?:forbidden|invalid): [^\n]*)/,
    reason: (match) => `the cluster refused ${String(match[1])}`,
  },
  {
    pattern: /admission webhook "[^"\n]+" denied the request: ([^\n]*)/,
    reason: (match) => `the cluster refused it: ${String(match[1])}`,
  },
  // The Kubernetes provider's readiness check quotes the pods' reason in brackets.
  {
    pattern:
      /\[(ImagePullBackOff|ErrImagePull|InvalidImageName|CrashLoopBackOff|CreateContainerConfigError|CreateContainerError|RunContainerError|OOMKilled)\]/,
    reason: (match) => `an app did not become ready: its pods report ${String(match[1])}`,
  },
  {
    pattern:
      /failed to (?:fully initialize or )?become (?:live|available|ready)|timed out waiting to be Ready/i,
    reason: () => "an app did not become ready in time",
  },
  {
    pattern: /\bpq: |postgres/i,
    reason: () => "the zone's database server could not complete it",
  },
  {
    pattern: /\bs3\b|seaweed|bucket/i,
    reason: () => "the zone's object storage could not complete it",
  },
  {
    pattern: /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|connection refused|dial tcp|no such host|i\/o timeout/i,
    reason: () => "a part of the zone could not be reached",
  },
];

/** Host names, addresses and files a refusal's own words may still carry. */
const INTERNALS: readonly [RegExp, string][] = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'),;]+/gi, "<address>"],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, "<address>"],
  [/\[[0-9a-f]*:[0-9a-f:]+\](?::\d+)?/gi, "<address>"],
  [/\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d{2,5}\b/gi, "<address>"],
  [/(?<![\w.-])(?:~|\.{1,2})?(?:\/[\w.@+-]+){2,}\/?/g, "<path>"],
];

/** `text` with addresses, file paths and the zone administrator's name taken out. */
export function withoutInternals(text: string, adminUser?: string): string {
  let cleaned = INTERNALS.reduce((current, [pattern, stand]) => current.replace(pattern, stand), text);
  if (adminUser) cleaned = cleaned.split(adminUser).join("<administrator>");
  return cleaned;
}

/** Why a run failed, in words that reveal nothing of the zone; `fallback` when the cause is not a known one. */
export function failureReason(
  detail: string,
  adminUser?: string,
  fallback = "the zone could not complete it",
): string {
  for (const known of KNOWN_FAILURES) {
    const match = known.pattern.exec(detail);
    if (match) return withoutInternals(known.reason(match), adminUser);
  }
  return fallback;
}

/** The violations of mandatory policies among a run's events: the member's own doing, told verbatim. */
export function policyRefusals(events: readonly RunEvent[]): string[] {
  return events.flatMap((event) =>
    event.type === "policy" && event.enforcement === "mandatory"
      ? [`policy ${event.policy}: ${event.message}`]
      : [],
  );
}

/** `<failure>: <reason> (reference <id>; ...)`, the sentence members read. */
export function memberMessage(failure: string, reason: string, reference: string): string {
  return `${failure}: ${reason} (reference ${reference}; an operator can look it up)`;
}

/**
 * An engine event as members may see it: an error diagnostic becomes its reason alone (the full
 * text goes to the log), other diagnostics lose addresses, paths and the administrator's name.
 */
export function memberEvent(event: RunEvent, adminUser?: string): RunEvent {
  if (event.type !== "diagnostic") return event;
  const message =
    event.severity === "error"
      ? failureReason(event.message, adminUser)
      : withoutInternals(event.message, adminUser);
  return { ...event, message };
}
