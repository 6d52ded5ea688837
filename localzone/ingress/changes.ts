/** One log line per change between two routing tables, so the controller's log reads as a history. */
import type { HostRoute, PathRoute, RoutingTable } from "./routing.js";

function target(route: PathRoute): string {
  return route.upstreams.length > 0
    ? `${route.service} [${route.upstreams.join(" ")}]`
    : `${route.service}: 503 ${route.unavailable ?? ""}`;
}

function pathsByKey(hosts: readonly HostRoute[]): Map<string, PathRoute> {
  const paths = new Map<string, PathRoute>();
  for (const host of hosts) {
    for (const route of host.paths) paths.set(`${host.host}${route.path} (${route.match})`, route);
  }
  return paths;
}

function certificates(hosts: readonly HostRoute[]): Map<string, string> {
  return new Map(
    hosts.flatMap((h) => (h.certificate === undefined ? [] : [[h.host, h.certificate] as const])),
  );
}

/**
 * `+` a path or certificate added, `~` changed (other pods, other backend), `-` removed, `!` a
 * warning not given before. The previous table is undefined on the first load.
 */
export function describeChanges(previous: RoutingTable | undefined, next: RoutingTable): string[] {
  const lines: string[] = [];
  const before = pathsByKey(previous?.hosts ?? []);
  const after = pathsByKey(next.hosts);
  for (const [key, route] of after) {
    const old = before.get(key);
    if (old === undefined) lines.push(`+ ${key} → ${target(route)} (${route.ingress})`);
    else if (target(old) !== target(route) || old.ingress !== route.ingress) {
      lines.push(`~ ${key} → ${target(route)} (${route.ingress})`);
    }
  }
  for (const key of before.keys()) if (!after.has(key)) lines.push(`- ${key}`);
  const certsBefore = certificates(previous?.hosts ?? []);
  const certsAfter = certificates(next.hosts);
  for (const [host, tag] of certsAfter) {
    const old = certsBefore.get(host);
    if (old === undefined) lines.push(`+ tls ${host} (${tag})`);
    else if (old !== tag) lines.push(`~ tls ${host} (${tag})`);
  }
  for (const host of certsBefore.keys()) if (!certsAfter.has(host)) lines.push(`- tls ${host}`);
  const pems = new Map((previous?.certificates ?? []).map((c) => [c.tag, c.certificatePem]));
  for (const c of next.certificates) {
    const old = pems.get(c.tag);
    if (old !== undefined && old !== c.certificatePem) lines.push(`~ certificate ${c.tag} replaced`);
  }
  const warned = new Set(previous?.warnings ?? []);
  for (const warning of next.warnings) if (!warned.has(warning)) lines.push(`! ${warning}`);
  return lines;
}
