/**
 * Custom domains: what a project may claim, which hosts a verified claim lets its apps serve,
 * and the DNS record that proves a claim. Shared by the ProjectSpec's cross references, the
 * policy pack and the service, so that every layer reads a claim the same way.
 *
 * A claim is a host name (`shop.example.org`: that one host) or a wildcard (`*.example.org`:
 * every name under `example.org`, at any depth, but not `example.org` itself). Both are proven
 * by a TXT record at `_pluskube-challenge.<name without "*.">`, as ACME proves wildcards at
 * `_acme-challenge.<name>`.
 */
import { z } from "zod";
import { isHostName } from "./names.js";

/** The label under which a member publishes the record that proves a claim. */
export const CHALLENGE_LABEL = "_pluskube-challenge";

/** What the record's value starts with; the project's token follows. */
export const CHALLENGE_PREFIX = "pluskube-verification=";

/** Domains one project may have, pending, verified or lapsed. */
export const DOMAINS_PER_PROJECT_MAX = 20;

const WILDCARD = "*.";

export const DOMAIN_CLAIM_MESSAGE =
  "must be a host name such as shop.example.org, or a wildcard such as *.example.org (lowercase)";

/** Whether a claim is a wildcard (`*.example.org`). */
export function isWildcard(claim: string): boolean {
  return claim.startsWith(WILDCARD);
}

/** The name a claim is about: `example.org` for both `example.org` and `*.example.org`. */
export function claimApex(claim: string): string {
  return isWildcard(claim) ? claim.slice(WILDCARD.length) : claim;
}

/** A host name, or `*.` followed by one. */
export function isDomainClaim(value: string): boolean {
  return isHostName(claimApex(value));
}

export const domainClaim = z.string().refine(isDomainClaim, DOMAIN_CLAIM_MESSAGE);

/** A claim as a member may type it: any case, with or without the root's trailing dot. */
export function normalizeClaim(value: string): string {
  const lower = value.trim().toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** Where the record proving `claim` is published. */
export function challengeName(claim: string): string {
  return `${CHALLENGE_LABEL}.${claimApex(claim)}`;
}

/** The record's value for a project's token. */
export function challengeValue(token: string): string {
  return `${CHALLENGE_PREFIX}${token}`;
}

/** `host` is `name` or lies under it. */
function atOrUnder(host: string, name: string): boolean {
  return host === name || host.endsWith(`.${name}`);
}

/** `host` lies strictly under `name`. */
function under(host: string, name: string): boolean {
  return host.endsWith(`.${name}`);
}

/** Whether a verified claim lets apps serve `host`. */
export function claimCovers(claim: string, host: string): boolean {
  return isWildcard(claim) ? under(host, claimApex(claim)) : host === claim;
}

/** The first of `claims` that covers `host`, or `undefined`. */
export function coveringClaim(claims: readonly string[], host: string): string | undefined {
  return claims.find((claim) => claimCovers(claim, host));
}

/** Whether some host is covered by both claims: two projects must never both serve it. */
export function claimsOverlap(a: string, b: string): boolean {
  const [apexA, apexB] = [claimApex(a), claimApex(b)];
  if (isWildcard(a) && isWildcard(b)) return atOrUnder(apexA, apexB) || atOrUnder(apexB, apexA);
  if (isWildcard(a)) return under(b, apexA);
  if (isWildcard(b)) return under(a, apexB);
  return a === b;
}

/**
 * Whether a claim reaches into the zone's own names (its base domain and every name under
 * it, where apps get their random subdomains), which no project may ever claim.
 */
export function claimsZoneDomain(claim: string, baseDomain: string): boolean {
  if (baseDomain === "") return false;
  return claimsOverlap(claim, baseDomain) || claimsOverlap(claim, `${WILDCARD}${baseDomain}`);
}

/** Claims in a stable order: by the name they are about, the exact name before its wildcard. */
export function sortClaims(claims: Iterable<string>): string[] {
  return [...new Set(claims)].sort((a, b) => {
    const byApex = claimApex(a).localeCompare(claimApex(b));
    return byApex !== 0 ? byApex : Number(isWildcard(a)) - Number(isWildcard(b));
  });
}
