import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { attempt, readSysctl, requireHostTools, run, writeSysctl } from "./host.js";
import type { NodeLayout } from "./layout.js";
import { CLUSTER_DNS_IP, NODE_IP, NODE_LINK, POD_BRIDGE, SERVICE_CIDR } from "./network.js";

/**
 * Kernel settings the node's parts change on the machine, restored by `zone:down`: IP
 * forwarding (the CNI bridge plugin turns it on for the pods' traffic), bridge netfilter
 * (kube-proxy and kube-router need bridged pod traffic to pass iptables), and those the kubelet
 * sets at start (`vm.overcommit_memory`, `kernel.panic`, `kernel.panic_on_oops`, ... as its
 * `protectKernelDefaults: false` does on every node).
 */
export const TOUCHED_SYSCTLS = [
  "net.ipv4.ip_forward",
  "net.bridge.bridge-nf-call-iptables",
  "net.bridge.bridge-nf-call-ip6tables",
  "net.ipv4.conf.all.route_localnet",
  "vm.overcommit_memory",
  "vm.panic_on_oom",
  "kernel.panic",
  "kernel.panic_on_oops",
  "kernel.keys.root_maxkeys",
  "kernel.keys.root_maxbytes",
] as const;

/**
 * Folders outside the zone folder that the node's parts make when missing, at paths they do not
 * let one configure: the shims' sockets (containerd), the CNI library's cache of results, the
 * kubelet's device plugin socket and its links to container logs.
 */
export const HOST_FOLDERS = [
  "/run/containerd",
  "/run/containerd/s",
  "/var/lib/cni",
  "/var/lib/cni/results",
  "/var/lib/kubelet",
  "/var/lib/kubelet/device-plugins",
  "/var/log/containers",
] as const;

/** What the zone found on the machine before it changed anything there. */
export interface HostState {
  readonly sysctls: Readonly<Record<string, string>>;
  /** Which of `HOST_FOLDERS` existed. */
  readonly folders: Readonly<Record<string, boolean>>;
}

/** The iptables chain that keeps pods from the node's own ports (mangle table, see below). */
export const NODE_GUARD_CHAIN = "PLUSKUBE-NODE-GUARD";
/**
 * The chain that keeps pods' traffic from leaving the machine for link-local addresses (a
 * cloud's metadata service) and for Service addresses kube-proxy did not translate (a Service
 * without endpoints: kube-router ACCEPTs a pod's allowed traffic in FORWARD before kube-proxy's
 * REJECT of it, and the packet would go out to the default route).
 */
export const POD_EGRESS_GUARD_CHAIN = "PLUSKUBE-POD-EGRESS";
/**
 * The chain that keeps the node's addresses, and the S3 port (SeaweedFS binds it on every
 * address, having one bind address only), to the machine itself and its pods: nothing from
 * another interface reaches them.
 */
export const HOST_GUARD_CHAIN = "PLUSKUBE-HOST-GUARD";

export function readHostState(layout: NodeLayout): HostState | undefined {
  if (!existsSync(layout.hostStateFile)) return undefined;
  return JSON.parse(readFileSync(layout.hostStateFile, "utf8")) as HostState;
}

/**
 * Records the machine's settings once, before the first change: a zone that crashed and starts
 * again must not take its own changes for the machine's.
 */
function recordHostState(layout: NodeLayout): HostState {
  const existing = readHostState(layout);
  if (existing) {
    claimHostNetwork(layout);
    return existing;
  }
  const sysctls: Record<string, string> = {};
  for (const name of TOUCHED_SYSCTLS) {
    const value = readSysctl(name);
    if (value !== undefined) sysctls[name] = value;
  }
  const folders = Object.fromEntries(HOST_FOLDERS.map((dir) => [dir, existsSync(dir)]));
  const state: HostState = { sysctls, folders };
  writeHostState(layout, state);
  return state;
}

function writeHostState(layout: NodeLayout, state: HostState): void {
  mkdirSync(dirname(layout.hostStateFile), { recursive: true, mode: 0o700 });
  writeFileSync(layout.hostStateFile, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  claimHostNetwork(layout);
}

/** Puts back the kernel settings the zone found (those it changed only). */
export function restoreSysctls(state: HostState): string[] {
  const restored: string[] = [];
  for (const [name, value] of Object.entries(state.sysctls)) {
    if (readSysctl(name) !== value) {
      writeSysctl(name, value);
      restored.push(`${name}=${value}`);
    }
  }
  return restored;
}

/** Removes the folders of `HOST_FOLDERS` the zone made, when they are empty again; deepest first. */
export function removeMadeFolders(state: HostState): string[] {
  const removed: string[] = [];
  for (const dir of [...HOST_FOLDERS].sort((a, b) => b.length - a.length)) {
    if (state.folders?.[dir] !== false) continue;
    try {
      rmdirSync(dir);
      removed.push(dir);
    } catch {
      // Missing, or someone else's files are in it.
    }
  }
  return removed;
}

export function forgetHostState(layout: NodeLayout): void {
  rmSync(layout.hostStateFile, { force: true });
  if (hostNetworkOwner() === layout.hostStateFile) rmSync(HOST_OWNER_FILE, { force: true });
}

/**
 * Machine-wide: the host state file of the zone whose node holds the machine's network. There
 * is one real node per machine (its addresses and link names are fixed), and a zone started
 * from another data folder must find what the previous one recorded. Under `/run`, which a
 * reboot empties together with the iptables rules and kernel settings it speaks of.
 */
export const HOST_OWNER_FILE = "/run/pluskube/node-host-owner";

export function hostNetworkOwner(): string | undefined {
  return existsSync(HOST_OWNER_FILE) ? readFileSync(HOST_OWNER_FILE, "utf8").trim() || undefined : undefined;
}

function claimHostNetwork(layout: NodeLayout): void {
  mkdirSync(dirname(HOST_OWNER_FILE), { recursive: true, mode: 0o755 });
  writeFileSync(HOST_OWNER_FILE, `${layout.hostStateFile}\n`, { mode: 0o644 });
}

/**
 * Takes over the state another zone recorded (the machine's settings before any zone changed
 * them): that zone's node is gone, and restoring on `zone:down` must put back the machine's
 * values, not the ones the gone node left.
 */
export function adoptHostState(layout: NodeLayout, previousFile: string): HostState | undefined {
  if (!existsSync(previousFile)) return undefined;
  const state = JSON.parse(readFileSync(previousFile, "utf8")) as HostState;
  writeHostState(layout, state);
  // Its zone:down must no longer sweep the machine's network: this zone holds it now.
  rmSync(previousFile, { force: true });
  return state;
}

function linkExists(name: string): boolean {
  return attempt("ip", ["link", "show", "dev", name]).ok;
}

/**
 * The link holding the node address and the cluster DNS address, up: a dummy link, or where the
 * kernel has no dummy links, an empty bridge, which holds local addresses the same way.
 */
function ensureNodeLink(): void {
  if (!linkExists(NODE_LINK) && !attempt("ip", ["link", "add", NODE_LINK, "type", "dummy"]).ok) {
    run("ip", ["link", "add", NODE_LINK, "type", "bridge"]);
  }
  for (const address of [NODE_IP, CLUSTER_DNS_IP]) {
    run("ip", ["addr", "replace", `${address}/32`, "dev", NODE_LINK]);
  }
  run("ip", ["link", "set", NODE_LINK, "up"]);
}

/** Ports of the node that pods may reach, besides DNS on the cluster DNS address. */
export interface GuardOpenings {
  readonly postgresPort: number;
  readonly s3Port: number;
}

/**
 * The iptables-restore input defining the guard chains. They live in the mangle table, whose
 * INPUT chain runs before the filter table's: kube-router keeps its own jump first in filter
 * INPUT and ACCEPTs there what a NetworkPolicy allows, which would skip a guard placed after it.
 * Allowed traffic RETURNs, so tenants' NetworkPolicies still apply to it; the rest is dropped
 * (mangle cannot REJECT), so a probe from a pod times out rather than being refused.
 */
export function guardRules(openings: GuardOpenings): { readonly ipv4: string; readonly ipv6: string } {
  const chain = NODE_GUARD_CHAIN;
  const egress = POD_EGRESS_GUARD_CHAIN;
  const host = HOST_GUARD_CHAIN;
  const ipv4 = [
    "*mangle",
    `:${chain} - [0:0]`,
    `:${egress} - [0:0]`,
    `:${host} - [0:0]`,
    `-F ${chain}`,
    `-F ${egress}`,
    `-F ${host}`,
    `-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN`,
    `-A ${chain} -d ${CLUSTER_DNS_IP}/32 -p udp -m udp --dport 53 -j RETURN`,
    `-A ${chain} -d ${CLUSTER_DNS_IP}/32 -p tcp -m tcp --dport 53 -j RETURN`,
    `-A ${chain} -d ${NODE_IP}/32 -p tcp -m tcp --dport ${openings.postgresPort} -j RETURN`,
    `-A ${chain} -d ${NODE_IP}/32 -p tcp -m tcp --dport ${openings.s3Port} -j RETURN`,
    `-A ${chain} -m comment --comment "pluskube: pods reach no other port of the node" -j DROP`,
    `-A ${egress} -d 169.254.0.0/16 -m comment --comment "pluskube: no link-local address beyond the node" -j DROP`,
    `-A ${egress} -d ${SERVICE_CIDR} -m comment --comment "pluskube: a Service without endpoints" -j DROP`,
    `-A ${host} -i lo -j RETURN`,
    `-A ${host} -i ${POD_BRIDGE} -j RETURN`,
    `-A ${host} -d ${NODE_IP}/32 -j DROP`,
    `-A ${host} -d ${CLUSTER_DNS_IP}/32 -j DROP`,
    `-A ${host} -p tcp -m tcp --dport ${openings.s3Port} -j DROP`,
    "COMMIT",
    "",
  ].join("\n");
  // Pods have IPv4 addresses only: nothing of theirs may reach the node over IPv6 link-local.
  const ipv6 = [
    "*mangle",
    `:${chain} - [0:0]`,
    `-F ${chain}`,
    `-A ${chain} -m comment --comment "pluskube: pods have no IPv6" -j DROP`,
    "COMMIT",
    "",
  ].join("\n");
  return { ipv4, ipv6 };
}

function ensureJump(
  tool: "iptables" | "ip6tables",
  chain: string,
  builtin: string,
  from: string | undefined = POD_BRIDGE,
): void {
  const match = [...(from ? ["-i", from] : []), "-j", chain];
  if (!attempt(tool, ["-t", "mangle", "-C", builtin, ...match]).ok) {
    run(tool, ["-t", "mangle", "-I", builtin, "1", ...match]);
  }
}

/** The guard chains and their jumps from the bridge (safe to repeat). */
function ensureGuard(openings: GuardOpenings): void {
  const rules = guardRules(openings);
  run("iptables-restore", ["--noflush"], rules.ipv4);
  run("ip6tables-restore", ["--noflush"], rules.ipv6);
  ensureJump("iptables", NODE_GUARD_CHAIN, "INPUT");
  ensureJump("iptables", POD_EGRESS_GUARD_CHAIN, "FORWARD");
  ensureJump("iptables", HOST_GUARD_CHAIN, "INPUT", undefined);
  ensureJump("ip6tables", NODE_GUARD_CHAIN, "INPUT");
  ensureJump("ip6tables", NODE_GUARD_CHAIN, "FORWARD");
}

/**
 * The machine's side of the node: records what it changes, then the dummy link, IP forwarding
 * and the node guard. Safe to run again while the zone is up. Whether another node holds the
 * machine is `takeOverHostNetwork`'s question, asked first.
 */
export function ensureHostNetwork(layout: NodeLayout, openings: GuardOpenings): void {
  requireHostTools();
  recordHostState(layout);
  ensureNodeLink();
  writeSysctl("net.ipv4.ip_forward", "1");
  // Without it, traffic between two pods on the bridge never meets iptables: no Service
  // hairpin, no NetworkPolicy between pods of the node.
  if (readSysctl("net.bridge.bridge-nf-call-iptables") === undefined) attempt("modprobe", ["br_netfilter"]);
  if (readSysctl("net.bridge.bridge-nf-call-iptables") === undefined) {
    throw new Error("the kernel has no bridge netfilter (br_netfilter): pods' traffic would bypass iptables");
  }
  writeSysctl("net.bridge.bridge-nf-call-iptables", "1");
  writeSysctl("net.bridge.bridge-nf-call-ip6tables", "1");
  ensureGuard(openings);
}

/** Whether the node's link holds both addresses. */
export function nodeLinkReady(): boolean {
  const res = attempt("ip", ["-o", "addr", "show", "dev", NODE_LINK]);
  return res.ok && res.stdout.includes(`${NODE_IP}/32`) && res.stdout.includes(`${CLUSTER_DNS_IP}/32`);
}
