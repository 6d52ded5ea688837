/**
 * The address the controller publishes in `status.loadBalancer` of the Ingresses it serves, so
 * `kubectl get ingress` shows where they answer and tools that wait for an address stop waiting.
 */
import { canonicalJson } from "./caddy-config.js";
import { objectKey, type Ingress, type LoadBalancerIngress } from "./objects.js";
import { ingressClassOf, type ServedIngress } from "./routing.js";
import { INGRESS_ADDRESS, INGRESS_PORTS } from "./settings.js";

/** One Ingress whose published status must change. */
export interface StatusUpdate {
  readonly namespace: string;
  readonly name: string;
  readonly ingress: readonly LoadBalancerIngress[];
}

/** The status of an Ingress: the loopback address and its ports when served, nothing when not. */
export function publishedStatus(served: ServedIngress | undefined): LoadBalancerIngress[] {
  if (served === undefined) return [];
  const ports: { port: number; protocol: string }[] = [{ port: INGRESS_PORTS.http, protocol: "TCP" }];
  if (served.tls) ports.push({ port: INGRESS_PORTS.https, protocol: "TCP" });
  return [{ ip: INGRESS_ADDRESS, ports }];
}

/** The Ingresses of the class whose status differs from what it should be. */
export function statusUpdates(
  ingresses: readonly Ingress[],
  served: ReadonlyMap<string, ServedIngress>,
  className: string,
): StatusUpdate[] {
  const updates: StatusUpdate[] = [];
  for (const ingress of ingresses) {
    if (ingressClassOf(ingress) !== className) continue;
    const wanted = publishedStatus(served.get(objectKey(ingress)));
    const current = ingress.status?.loadBalancer?.ingress ?? [];
    if (canonicalJson(current) === canonicalJson(wanted)) continue;
    updates.push({
      namespace: ingress.metadata.namespace ?? "",
      name: ingress.metadata.name,
      ingress: wanted,
    });
  }
  return updates;
}
