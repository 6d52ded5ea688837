import { isIP } from "node:net";

/**
 * Address ranges in the one form the zone file, TenantNamespace and the policy pack share:
 * CIDR text (`10.0.0.0/8`, `fc00::/7`), compared as integer intervals.
 */

/** One address range as an interval of integers, with its family. */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly prefix: number;
}

function addressValue(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split(".").reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
  let text = address;
  // A trailing dotted quad (::ffff:10.0.0.1) is two hextets.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    const value = addressValue(quad[1], 4);
    text = `${text.slice(0, quad.index)}${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const hextets = [...headParts, ...Array<string>(zeros).fill("0"), ...tailParts];
  return hextets.reduce((value, hextet) => (value << 16n) | BigInt(parseInt(hextet, 16)), 0n);
}

/** The range a CIDR names, or `undefined` when the text is not a CIDR. */
export function parseCidr(cidr: string): AddressRange | undefined {
  const [address = "", prefixText, ...rest] = cidr.split("/");
  if (prefixText === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const first = addressValue(address, family) & ~(size - 1n) & ((1n << BigInt(bits)) - 1n);
  return { family, first, last: first + size - 1n, prefix };
}

export function isCidrText(value: string): boolean {
  return parseCidr(value) !== undefined;
}

/** Whether `outer` holds every address of `inner`. */
export function rangeContains(outer: AddressRange, inner: AddressRange): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

/** Whether the two ranges share an address. */
export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/**
 * Ranges that "internet" egress never opens: private networks (RFC 1918), shared address space
 * (RFC 6598, often a pod or VPN network), loopback and link-local (which holds cloud metadata
 * endpoints such as 169.254.169.254), and their IPv6 counterparts.
 */
export const PRIVATE_IPV4_RANGES = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
] as const;
export const PRIVATE_IPV6_RANGES = ["fc00::/7", "fe80::/10", "::1/128"] as const;

/** NAT64's well-known prefix (RFC 6052): `64:ff9b::a.b.c.d` reaches the IPv4 address a.b.c.d. */
export const NAT64_WELL_KNOWN_PREFIX = "64:ff9b::/96";
/** NAT64's local-use prefix (RFC 8215), whose mapping each network chooses: closed as a whole. */
export const NAT64_LOCAL_USE_PREFIX = "64:ff9b:1::/48";

/** The text of an IPv4 range as the NAT64 well-known prefix maps it, e.g. `64:ff9b::a00:0/104`. */
export function nat64Range(ipv4Cidr: string): string {
  const range = parseCidr(ipv4Cidr);
  if (!range || range.family !== 4) throw new Error(`not an IPv4 range: ${ipv4Cidr}`);
  const high = (range.first >> 16n).toString(16);
  const low = (range.first & 0xffffn).toString(16);
  return `64:ff9b::${high}:${low}/${96 + range.prefix}`;
}

/** A range internet egress must leave out, and why, in words for a refusal. */
export interface ClosedRange {
  readonly cidr: string;
  readonly reason: string;
}

/**
 * What internet egress leaves out: the private ranges, the zone's own ranges (its nodes' and
 * storage hosts' addresses, its API server) and, through NAT64, the IPv4 ones of both as the
 * well-known prefix maps them, plus the local-use prefix. A pod on an IPv6-only network still
 * reaches public IPv4 addresses through NAT64, and nothing else of the zone.
 */
export function closedRanges(zoneRanges: readonly string[]): ClosedRange[] {
  const ipv4: ClosedRange[] = [
    ...PRIVATE_IPV4_RANGES.map((cidr) => ({ cidr, reason: "a private range" })),
    ...zoneRanges
      .filter((cidr) => parseCidr(cidr)?.family === 4)
      .map((cidr) => ({ cidr, reason: "the zone's own addresses" })),
  ];
  return [
    ...ipv4,
    ...PRIVATE_IPV6_RANGES.map((cidr) => ({ cidr, reason: "a private range" })),
    ...zoneRanges
      .filter((cidr) => parseCidr(cidr)?.family === 6)
      .map((cidr) => ({ cidr, reason: "the zone's own addresses" })),
    ...ipv4.map(({ cidr }) => ({ cidr: nat64Range(cidr), reason: `${cidr} through NAT64` })),
    { cidr: NAT64_LOCAL_USE_PREFIX, reason: "NAT64's local-use prefix" },
  ];
}

/** `closedRanges` as the `except` lists of the IPv4 and the IPv6 internet blocks. */
export function internetExclusions(zoneRanges: readonly string[]): { ipv4: string[]; ipv6: string[] } {
  const closed = unique(closedRanges(zoneRanges).map(({ cidr }) => cidr));
  return {
    ipv4: closed.filter((cidr) => parseCidr(cidr)?.family === 4),
    ipv6: closed.filter((cidr) => parseCidr(cidr)?.family === 6),
  };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
