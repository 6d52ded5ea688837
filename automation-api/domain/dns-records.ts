import { Resolver } from "node:dns/promises";
import type { ZoneDomains } from "../../spec/zone.js";

/** Answers that say the name has no TXT record: the record is definitely not there. */
const ABSENT = new Set(["ENOTFOUND", "ENODATA"]);

/** A lookup that got no answer (timeout, refusal, server failure): nothing is known. */
export class DnsLookupError extends Error {
  constructor(
    readonly lookedUp: string,
    readonly code: string,
  ) {
    super(`the zone's resolvers gave no answer for ${lookedUp} (${code})`);
  }
}

/**
 * The TXT values at `name` through the zone's resolvers (the host's when the zone names none),
 * each record's strings joined as RFC 7208 reads them. Empty when the name or its TXT records
 * do not exist; a lookup that gets no answer throws `DnsLookupError`.
 */
export async function txtValues(name: string, settings: ZoneDomains): Promise<string[]> {
  const resolver = new Resolver({ timeout: settings.lookupTimeoutSeconds * 1000, tries: 1 });
  if (settings.resolvers.length > 0) resolver.setServers(settings.resolvers);
  try {
    const records = await resolver.resolveTxt(name);
    return records.map((strings) => strings.join(""));
  } catch (error) {
    const code = (error as { code?: string }).code ?? "EUNKNOWN";
    if (ABSENT.has(code)) return [];
    throw new DnsLookupError(name, code);
  }
}
