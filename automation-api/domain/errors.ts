import type { LimitIssue, SpecIssue } from "../../spec/errors.js";

/**
 * Errors the service's domain raises. Each carries what the HTTP layer needs to answer with a
 * problem document (RFC 9457): a status, a stable problem type and extra members.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    /** Stable slug of the problem type, e.g. `quota-exceeded`. */
    readonly problem: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class UnauthorizedError extends DomainError {
  constructor(detail = "a valid bearer token is required: Authorization: Bearer pk_...") {
    super(401, "unauthorized", "Unauthorized", detail);
  }
}

export class ForbiddenError extends DomainError {
  constructor(detail: string) {
    super(403, "forbidden", "Forbidden", detail);
  }
}

/** Also what "not yours" looks like, so that callers cannot probe for other users' names. */
export class NotFoundError extends DomainError {
  constructor(what: string) {
    super(404, "not-found", "Not Found", `${what} does not exist`);
  }
}

export class ConflictError extends DomainError {
  constructor(detail: string, extensions: Record<string, unknown> = {}, problem = "conflict") {
    super(409, problem, "Conflict", detail, extensions);
  }
}

/** How far a count limit of the zone is reached: its name, what it allows and what there is now. */
export interface LimitFigures {
  readonly limit: string;
  readonly allowed: number;
  readonly current: number;
}

/** A request that would pass a count the zone limits (projects per member, items per project). */
export class LimitReachedError extends ConflictError {
  constructor(detail: string, figures: LimitFigures) {
    super(detail, { ...figures }, "limit-reached");
  }
}

/** A request body or query that does not validate; lists every field at fault. */
export class ValidationError extends DomainError {
  constructor(readonly issues: readonly SpecIssue[]) {
    super(
      400,
      "validation",
      "Bad Request",
      issues.map((issue) => `${issue.path || "(body)"}: ${issue.message}`).join("; "),
      { errors: issues },
    );
  }
}

/**
 * A well-formed value beyond a limit the platform or the zone sets (a quantity too large to
 * count, a size below the zone's smallest, a connection limit above the zone's): 422, with
 * every field at fault and the limit it passed.
 */
export class LimitError extends DomainError {
  constructor(readonly issues: readonly LimitIssue[]) {
    super(
      422,
      "beyond-limit",
      "Unprocessable Content",
      issues.map((issue) => `${issue.path || "(body)"}: ${issue.message}`).join("; "),
      { errors: issues },
    );
  }
}

/** A project row whose stored spec no longer reads as a ProjectSpec: the service's fault, not the caller's. */
export class StoredSpecError extends DomainError {
  constructor(project: string, zone: string, issues: readonly SpecIssue[]) {
    super(
      500,
      "stored-spec-invalid",
      "Internal Server Error",
      `the stored spec of project '${project}' in zone '${zone}' is not a valid ProjectSpec: ${issues
        .map((issue) => `${issue.path || "(root)"}: ${issue.message}`)
        .join("; ")}`,
      { project, zone },
    );
  }
}

export interface QuotaFigures {
  readonly used: Record<string, number>;
  readonly share: Record<string, number>;
  readonly asked: Record<string, number>;
}

export class QuotaExceededError extends DomainError {
  constructor(zone: string, exceeded: readonly string[], figures: QuotaFigures) {
    const parts = exceeded.map(
      (kind) =>
        `${kind}: using ${figures.used[kind]}, asking ${figures.asked[kind]} more, share ${figures.share[kind]}`,
    );
    super(
      409,
      "quota-exceeded",
      "Quota Exceeded",
      `the request would exceed your fair share of zone '${zone}' (${parts.join("; ")})`,
      { zone, exceeded, ...figures },
    );
  }
}

/** A zone's cluster could not be read for a decision that needs it; nothing was changed. */
export class ZoneUnreachableError extends DomainError {
  constructor(zone: string) {
    super(
      503,
      "zone-unreachable",
      "Service Unavailable",
      `the cluster of zone '${zone}' could not be reached to check the request; nothing was changed, try again later`,
      { zone },
    );
  }
}

/** A well-formed request the zone cannot carry out as asked, such as an image it does not pull. */
export class UnprocessableError extends DomainError {
  constructor(
    problem: string,
    readonly issues: readonly SpecIssue[],
    extensions: Record<string, unknown> = {},
  ) {
    super(
      422,
      problem,
      "Unprocessable Content",
      issues.map((issue) => `${issue.path || "(body)"}: ${issue.message}`).join("; "),
      { errors: issues, ...extensions },
    );
  }
}

export interface ZoneFullFigures extends QuotaFigures {
  /** What is free in the zone now. */
  readonly zoneFree: Record<string, number>;
}

/**
 * A request within the member's fair share but beyond what the zone has free now: others hold
 * more than their shares, which shrank when members joined, and nothing is evicted.
 */
export class ZoneFullError extends DomainError {
  constructor(zone: string, exceeded: readonly string[], figures: ZoneFullFigures) {
    const parts = exceeded.map(
      (kind) =>
        `${figures.zoneFree[kind]} ${kind} free now (you use ${figures.used[kind]}, ask ${figures.asked[kind]} more, share ${figures.share[kind]})`,
    );
    super(
      409,
      "zone-full",
      "Zone Full",
      `the request fits your fair share, but zone '${zone}' has only ${parts.join("; ")}: other members hold more than their shares, and nothing running is evicted. What is free grows as other members shrink, up to your share; try again later or ask for less`,
      { zone, exceeded, ...figures },
    );
  }
}
