import { isIP } from "node:net";
import { parseImageReference } from "./names.js";

/**
 * Registries named by an address rather than a name. The node pulls images itself, outside any
 * NetworkPolicy, so an image on `localhost:5000`, `10.0.3.9:5000` or `169.254.169.254` would
 * make the node reach its own or the zone's private services on a member's behalf.
 */

/** The host of `host[:port]`, without IPv6 brackets. */
function hostOf(registry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(registry);
  if (bracketed?.[1]) return bracketed[1];
  return registry.replace(/:\d+$/, "");
}

/**
 * Whether a registry (`host[:port]`) is an address: `localhost` and its subdomains, an IP
 * literal (link-local ones included), or a host of digits and hex numbers only, which the
 * resolver reads as an address (`2130706433`, `0x7f.1`).
 */
export function isAddressRegistry(registry: string): boolean {
  const host = hostOf(registry).toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) !== 0) return true;
  return host.split(".").every((label) => /^(0x[0-9a-f]*|[0-9]+)$/.test(label));
}

/**
 * Why an image may not be pulled in a zone that allows the address registries `allowed` (by
 * their exact `host[:port]`), or `undefined` when it may. Images whose reference does not parse
 * are left to the reference check.
 */
export function addressRegistryProblem(image: string, allowed: readonly string[]): string | undefined {
  const registry = parseImageReference(image)?.registry;
  if (registry === undefined || !isAddressRegistry(registry) || allowed.includes(registry)) return undefined;
  return `image '${image}' comes from registry '${registry}', which is an address (an IP literal, localhost or link-local); images must come from a registry named by a DNS name${
    allowed.length > 0 ? `, or from one of the zone's address registries: ${allowed.join(", ")}` : ""
  }`;
}
