import { challengeName } from "../../spec/domains.js";
import { ConflictError, DomainError, UnprocessableError } from "./errors.js";

/** The TXT record that proves a project's claim, as a member publishes it. */
export interface ChallengeRecord {
  readonly type: "TXT";
  readonly name: string;
  readonly value: string;
}

/** A domain another project of the zone holds verified (or one that overlaps it). */
export class DomainTakenError extends ConflictError {
  constructor(domain: string, zone: string) {
    super(
      `'${domain}' (or a name it covers) is verified for another project in zone '${zone}'; it becomes free when that project removes it or its record disappears and the verification lapses`,
      { domain, zone },
      "domain-taken",
    );
  }
}

/** The zone's own base domain and the names under it belong to the platform. */
export class DomainNotClaimableError extends UnprocessableError {
  constructor(domain: string, baseDomain: string) {
    super(
      "domain-not-claimable",
      [
        {
          path: "domain",
          message: `'${domain}' reaches into the zone's own domain ${baseDomain}, whose names the platform hands out; claim a domain outside it`,
        },
      ],
      { domain, baseDomain },
    );
  }
}

/** A verification on request that did not find the project's record. */
export class DomainUnverifiedError extends DomainError {
  constructor(domain: string, problem: string, record: ChallengeRecord) {
    super(422, "domain-unverified", "Unprocessable Content", `'${domain}' is not verified: ${problem}`, {
      domain,
      record,
    });
  }
}

/** Where the record proving `domain` goes, for a message. */
export function publishHint(domain: string, value: string): string {
  return `publish a TXT record at ${challengeName(domain)} with the value ${value}`;
}
