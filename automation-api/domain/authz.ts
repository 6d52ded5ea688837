import type { ProjectRow, TokenScope, UserRow } from "../store/schema.js";
import type { Queries } from "../store/store.js";
import { CLAIM_KIND_NAMES } from "../../spec/claim-kinds.js";
import { DomainError, ForbiddenError, NotFoundError } from "./errors.js";

/** Who is asking: the token's user, and for project tokens the one project and scope it carries. */
export interface Principal {
  readonly tokenId: string;
  readonly user: UserRow;
  readonly scope: TokenScope;
  /** Set for project tokens. */
  readonly projectId: string | null;
  /** When the token stops working; null: never. */
  readonly expiresAt: Date | null;
}

export function isProjectToken(principal: Principal): boolean {
  return principal.projectId !== null;
}

export function requireAdmin(principal: Principal): void {
  if (!principal.user.isAdmin || isProjectToken(principal)) {
    throw new ForbiddenError("only an administrator's user token may do this");
  }
}

/** User-level actions (tokens, quota, new projects) need a user token, not a project token. */
export function requireUserToken(principal: Principal, action: string): void {
  if (isProjectToken(principal))
    throw new ForbiddenError(`a project token cannot ${action}; use a user token`);
}

export function requireWrite(principal: Principal): void {
  if (principal.scope === "read")
    throw new ForbiddenError("this token is read-only; a 'deploy' token can change the project");
}

/**
 * Deleting a project or changing its settings belongs to its owner: a `deploy` token's scope is
 * the project's claims (apps, databases, buckets, volumes) only.
 */
export function requireProjectOwner(principal: Principal, action: string): void {
  requireWrite(principal);
  if (principal.scope === "deploy") {
    const kinds = CLAIM_KIND_NAMES.join(", ");
    throw new DomainError(
      403,
      "forbidden",
      "Forbidden",
      `a 'deploy' project token cannot ${action}; its scope is the project's ${kinds}. Use the owner's user token`,
      { scope: principal.scope, allowed: CLAIM_KIND_NAMES },
    );
  }
}

/** Whether a principal may see a project: its owner, and a project token only its own project. */
export function reaches(principal: Principal, project: Pick<ProjectRow, "id" | "userId">): boolean {
  return (
    project.userId === principal.user.id &&
    (principal.projectId === null || principal.projectId === project.id)
  );
}

/** The principal's project by name; the same 404 whether it is someone else's or does not exist. */
export async function projectOf(
  queries: Queries,
  principal: Principal,
  name: string,
  options: { forUpdate?: boolean } = {},
): Promise<ProjectRow> {
  return reachable(principal, name, await queries.findProject(principal.user.id, name, options));
}

/** The project read by name if the principal may see it; the same 404 as `projectOf` otherwise. */
export function reachable<T extends Pick<ProjectRow, "id" | "userId">>(
  principal: Principal,
  name: string,
  project: T | undefined,
): T {
  if (!project || !reaches(principal, project)) throw new NotFoundError(`project '${name}'`);
  return project;
}
