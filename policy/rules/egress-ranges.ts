/**
 * The egress half of network-isolation: a NetworkPolicy may not open the zone's own or private
 * ranges (nor their NAT64 forms) except to the zone's services on their own ports. The same
 * list (`closedRanges`) is what TenantNamespace leaves out of internet egress.
 */
import type * as k8s from "@pulumi/kubernetes";
import {
  closedRanges,
  parseCidr,
  rangeContains,
  rangesOverlap,
  type AddressRange,
} from "../../spec/address-ranges.js";
import type { NetworkIsolationConfig } from "../config.js";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type EgressRule = { to?: { ipBlock?: { cidr?: unknown; except?: unknown } }[]; ports?: { port?: unknown }[] };

function narrower(a: AddressRange, b: AddressRange): AddressRange {
  return a.prefix >= b.prefix ? a : b;
}

/** Violations of one NetworkPolicy's egress rules against the zone's closed ranges. */
export function egressRangeViolations(
  spec: NetworkPolicySpec | undefined,
  config: Partial<NetworkIsolationConfig>,
): string[] {
  const closed = closedRanges(config.zoneRanges ?? []).flatMap(({ cidr, reason }) => {
    const range = parseCidr(cidr);
    return range ? [{ cidr, reason, range }] : [];
  });
  const services = config.zoneServices ?? [];
  const violations: string[] = [];
  ((spec?.egress ?? []) as EgressRule[]).forEach((rule, ruleIndex) => {
    const ports = (rule.ports ?? []).map((port) => port.port);
    (rule.to ?? []).forEach((peer, peerIndex) => {
      const cidr = peer.ipBlock?.cidr;
      // Unknown during preview: judged again at `up`.
      if (typeof cidr !== "string") return;
      const block = parseCidr(cidr);
      if (!block) return;
      const excepts = (Array.isArray(peer.ipBlock?.except) ? (peer.ipBlock.except as unknown[]) : [])
        .filter((value): value is string => typeof value === "string")
        .flatMap((value) => parseCidr(value) ?? []);
      const where = `spec.egress[${ruleIndex}].to[${peerIndex}].ipBlock ${cidr}`;
      for (const { cidr: closedCidr, reason, range } of closed) {
        if (!rangesOverlap(block, range)) continue;
        const open = narrower(block, range);
        if (excepts.some((except) => rangeContains(except, open))) continue;
        if (ports.length === 0) {
          violations.push(
            `${where} opens every port of ${closedCidr}, which must stay closed (${reason}); list it in except`,
          );
          continue;
        }
        const service = ports.every((port) =>
          services.some((entry) => entry.cidr === cidr && entry.port === port),
        );
        if (!service) {
          violations.push(
            `${where} opens port ${ports.map(String).join(", ")} of ${closedCidr}, which must stay closed (${reason}); only the zone's services are reachable there, on their ports`,
          );
        }
      }
    });
  });
  return violations;
}
