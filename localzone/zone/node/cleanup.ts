import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../process.js";
import { attempt, run } from "./host.js";
import { forgetHostState, readHostState, removeMadeFolders, restoreSysctls } from "./host-network.js";
import type { NodeLayout } from "./layout.js";
import { CNI_NETWORK, CRI_NAMESPACE, NODE_LINK, POD_BRIDGE } from "./network.js";

/** Chains the node's parts make: kube-proxy and the kubelet (`KUBE-`), kube-router (`KUBE-ROUTER-`,
 * `KUBE-POD-FW-`, `KUBE-NWPLCY-`, ...), the CNI plugins (`CNI-`) and the node guard (`PLUSKUBE-`). */
export const ZONE_CHAIN = /^(KUBE-|CNI-|PLUSKUBE-)/;

/**
 * Sets kube-router makes for NetworkPolicies (IPv6 ones carry an `inet6:` prefix), and the
 * temporary ones of its atomic swaps (`TMP-` and 16 base32 characters), which stay when it is
 * killed in the middle of one.
 */
export const ZONE_IPSET = /^(inet6:)?(KUBE-|kube-router-|TMP-[A-Z2-7]{16}$)/i;

export const IPTABLES_TABLES = ["filter", "nat", "mangle", "raw"] as const;

/**
 * The iptables-restore input (`--noflush`) that removes every rule jumping to a zone chain
 * from the other chains, then the zone chains themselves; empty when there is nothing to remove.
 */
export function iptablesCleanup(table: string, saved: string): string {
  const ours = new Set<string>();
  const rules: { chain: string; spec: string }[] = [];
  for (const line of saved.split("\n")) {
    const declared = /^:(\S+)\s/.exec(line);
    if (declared?.[1] && ZONE_CHAIN.test(declared[1])) ours.add(declared[1]);
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (rule?.[1] && rule[2] !== undefined) rules.push({ chain: rule[1], spec: rule[2] });
  }
  const deletes = rules
    .filter(({ chain, spec }) => {
      if (ours.has(chain)) return false;
      const target = /(?:^| )-[jg] (\S+)/.exec(spec)?.[1];
      return target !== undefined && ZONE_CHAIN.test(target);
    })
    .map(({ chain, spec }) => `-D ${chain} ${spec}`);
  if (deletes.length === 0 && ours.size === 0) return "";
  return [
    `*${table}`,
    ...deletes,
    ...[...ours].map((chain) => `-F ${chain}`),
    ...[...ours].map((chain) => `-X ${chain}`),
    "COMMIT",
    "",
  ].join("\n");
}

/** Removes the zone's rules and chains from every table, IPv4 and IPv6; returns what went. */
export function cleanIptables(): string[] {
  const removed: string[] = [];
  for (const [save, restore] of [
    ["iptables-save", "iptables-restore"],
    ["ip6tables-save", "ip6tables-restore"],
  ] as const) {
    for (const table of IPTABLES_TABLES) {
      const saved = attempt(save, ["-t", table]);
      if (!saved.ok) continue;
      const script = iptablesCleanup(table, saved.stdout);
      if (script === "") continue;
      run(restore, ["--noflush"], script);
      removed.push(`${save.replace("-save", "")} ${table}`);
    }
  }
  return removed;
}

export function cleanIpsets(): string[] {
  const list = attempt("ipset", ["list", "-n"]);
  if (!list.ok) return [];
  const sets = list.stdout.split("\n").filter((name) => ZONE_IPSET.test(name.trim()));
  for (const set of sets) attempt("ipset", ["destroy", set.trim()]);
  return sets;
}

/** Mount points under `dir` (itself included), deepest first, from this process's mount table. */
export function mountsUnder(dir: string, mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  const unescape = (path: string): string =>
    path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined)
    .map(unescape)
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function unmountAll(dir: string): string[] {
  const unmounted: string[] = [];
  // A mount may hide others (the same point mounted twice): go round until none is left.
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) break;
    for (const point of points) {
      if (!attempt("umount", [point]).ok) attempt("umount", ["-l", point]);
      unmounted.push(point);
    }
  }
  return unmounted;
}

/**
 * Pids of the node's processes: those whose command line names the node's folder (its
 * daemons' configuration, the shims' containerd socket) and, when `withPods`, those in the
 * kubelet's cgroups (the containers). Another containerd on the machine, even one started from
 * the same binary, names other folders and is left alone.
 */
function nodeProcesses(nodeDir: string, withPods: boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      const cgroup = withPods ? readFileSync(`/proc/${pid}/cgroup`, "utf8") : "";
      if (cmdline.includes(`${nodeDir}/`) || /:\/kubepods(\/|$)/m.test(cgroup)) pids.push(pid);
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return pids;
}

async function killAll(nodeDir: string, withPods: boolean): Promise<number[]> {
  const killed = nodeProcesses(nodeDir, withPods);
  for (const pid of killed) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 10_000;
  while (nodeProcesses(nodeDir, withPods).length > 0 && Date.now() < deadline) await sleep(100);
  return killed;
}

/** Containers runc still knows of (their shim gone): killed and deleted with their cgroups. */
function deleteRuncContainers(runc: string, runcRoot: string): string[] {
  if (!existsSync(runcRoot)) return [];
  const deleted: string[] = [];
  for (const namespace of readdirSync(runcRoot)) {
    const root = join(runcRoot, namespace);
    const list = attempt(runc, ["--root", root, "list", "-q"]);
    for (const id of list.ok ? list.stdout.split("\n").filter(Boolean) : []) {
      attempt(runc, ["--root", root, "delete", "--force", id]);
      deleted.push(id);
    }
  }
  return deleted;
}

/** Removes the cgroups the kubelet and runc made (`kubepods` in each v1 hierarchy), leaves first. */
function removeKubepodsCgroups(): string[] {
  const removed: string[] = [];
  const root = "/sys/fs/cgroup";
  if (!existsSync(root)) return removed;
  const remove = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) remove(join(dir, entry.name));
    }
    try {
      rmdirSync(dir);
      removed.push(dir);
    } catch {
      // Still has processes; reported by the caller's checks.
    }
  };
  const hierarchies = [root, ...readdirSync(root).map((name) => join(root, name))];
  for (const hierarchy of hierarchies) {
    const kubepods = join(hierarchy, "kubepods");
    if (existsSync(kubepods)) remove(kubepods);
  }
  return removed;
}

/** Links the node made: the veths of pods whose namespace outlived them, the bridge, the node link. */
export function removeLinks(): string[] {
  const removed: string[] = [];
  const veths = attempt("ip", ["-o", "link", "show", "master", POD_BRIDGE]);
  for (const line of veths.ok ? veths.stdout.split("\n") : []) {
    const name = /^\d+: ([^@:]+)/.exec(line)?.[1];
    if (name && attempt("ip", ["link", "delete", name]).ok) removed.push(name);
  }
  for (const name of [POD_BRIDGE, NODE_LINK]) {
    if (attempt("ip", ["link", "delete", name]).ok) removed.push(name);
  }
  return removed;
}

/** Files of the CRI's network namespaces, and host-local's reservations for pods now gone. */
function removeNetnsFiles(layout: NodeLayout): string[] {
  const removed: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (!entry.isDirectory()) continue;
      if (entry.name === "netns") {
        for (const file of readdirSync(path)) {
          rmSync(join(path, file), { force: true, recursive: true });
          removed.push(join(path, file));
        }
      } else {
        walk(path);
      }
    }
  };
  walk(layout.containerdState);
  rmSync(join(layout.cniIpamDir, CNI_NETWORK), { recursive: true, force: true });
  return removed;
}

/**
 * Files the node's parts leave at fixed machine-wide paths: the CNI library's cached results
 * of this node's pods (`<network>-<sandbox>-<interface>`, named by the node's network or, for
 * loopback, by one of its sandboxes, listed from containerd's root) and the kubelet's device
 * plugin socket.
 */
function removeFixedPathFiles(layout: NodeLayout): string[] {
  const removed: string[] = [];
  const results = "/var/lib/cni/results";
  const sandboxesDir = join(layout.containerdRoot, "io.containerd.grpc.v1.cri", "sandboxes");
  const sandboxes = existsSync(sandboxesDir) ? readdirSync(sandboxesDir) : [];
  if (existsSync(results)) {
    for (const name of readdirSync(results)) {
      const ours =
        name.startsWith(`${CNI_NETWORK}-`) ||
        (name.startsWith("cni-loopback-") && sandboxes.some((id) => name.includes(id)));
      if (ours) {
        rmSync(join(results, name), { force: true });
        removed.push(join(results, name));
      }
    }
  }
  removed.push(...removeDeadShimSockets());
  const socket = "/var/lib/kubelet/device-plugins/kubelet.sock";
  if (existsSync(socket)) {
    rmSync(socket, { force: true });
    removed.push(socket);
  }
  return removed;
}

/**
 * Sockets of shims that were killed rather than stopped (their names are hashes, so whose they
 * were cannot be read back): a socket no process listens on is of use to no one.
 */
function removeDeadShimSockets(): string[] {
  const dir = "/run/containerd/s";
  if (!existsSync(dir)) return [];
  const listening = new Set(
    readFileSync("/proc/net/unix", "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/)[7])
      .filter((path): path is string => path !== undefined),
  );
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (listening.has(path)) continue;
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}

/** The kubelet's links in `/var/log/containers` into this node's pod logs. */
function removeContainerLogLinks(layout: NodeLayout): string[] {
  const dir = "/var/log/containers";
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (lstatSync(path).isSymbolicLink() && readlinkSync(path).startsWith(`${layout.podLogsDir}/`)) {
        rmSync(path);
        removed.push(path);
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return removed;
}

/**
 * Stops the node's containers through containerd (the kubelet must be stopped first, or it
 * starts them again): SIGTERM to the apps' containers, then to the sandboxes, SIGKILL to
 * whatever still runs after `graceMs`, then the tasks are deleted, which unmounts their root
 * filesystems. The pods stay in the cluster and start again with the node.
 */
export async function drainContainers(
  ctr: string,
  socket: string,
  graceMs: number,
): Promise<{ readonly stopped: number }> {
  if (!existsSync(socket)) return { stopped: 0 };
  const base = ["--address", socket, "--namespace", CRI_NAMESPACE];
  const list = (kind: string): string[] => {
    const res = attempt(ctr, [
      ...base,
      "containers",
      "list",
      "-q",
      `labels."io.cri-containerd.kind"==${kind}`,
    ]);
    return res.ok ? res.stdout.split("\n").filter(Boolean) : [];
  };
  const running = (): Set<string> => {
    const res = attempt(ctr, [...base, "tasks", "list"]);
    const ids = (res.ok ? res.stdout.split("\n").slice(1) : [])
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[2] === "RUNNING" || cols[2] === "PAUSED")
      .map((cols) => cols[0] ?? "");
    return new Set(ids.filter(Boolean));
  };
  const signal = (ids: readonly string[], sig: string): void => {
    for (const id of ids) attempt(ctr, [...base, "tasks", "kill", "--signal", sig, id]);
  };
  const waitGone = async (ids: readonly string[], ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && ids.some((id) => running().has(id))) await sleep(200);
  };
  const apps = list("container");
  const sandboxes = list("sandbox");
  const live = running();
  const liveApps = apps.filter((id) => live.has(id));
  const liveSandboxes = sandboxes.filter((id) => live.has(id));
  signal(liveApps, "SIGTERM");
  await waitGone(liveApps, graceMs);
  signal(
    liveApps.filter((id) => running().has(id)),
    "SIGKILL",
  );
  signal(liveSandboxes, "SIGKILL");
  await waitGone([...liveApps, ...liveSandboxes], 10_000);
  for (const id of [...apps, ...sandboxes]) attempt(ctr, [...base, "tasks", "delete", "--force", id]);
  return { stopped: liveApps.length + liveSandboxes.length };
}

/** What `sweepNode` removed, for `zone:down` to say. */
export interface SweepReport {
  readonly processes: number;
  readonly runcContainers: number;
  readonly mounts: number;
  readonly netns: number;
  readonly links: readonly string[];
  readonly iptables: readonly string[];
  readonly ipsets: number;
  readonly cgroups: number;
  readonly sysctls: readonly string[];
}

/**
 * Removes every trace of the node from the machine once its processes are stopped (or died):
 * leftover container processes and shims (found by the node folder in their command line), mounts under the node folder, the pods' network
 * namespaces, links, the zone's iptables rules and chains, kube-router's ipsets, the kubelet's
 * cgroups, and the kernel settings it changed. Safe to run when nothing is left.
 */
export async function sweepNode(layout: NodeLayout, runc: string): Promise<SweepReport> {
  const hostState = readHostState(layout);
  const runcContainers = deleteRuncContainers(runc, layout.runcRoot);
  const processes = await killAll(layout.dir, hostState !== undefined);
  const mounts = unmountAll(layout.dir);
  const netns = removeNetnsFiles(layout);
  removeContainerLogLinks(layout);
  if (hostState) removeFixedPathFiles(layout);
  const links = removeLinks();
  // Only a zone that recorded the machine's state touched its tables: another Kubernetes
  // node's KUBE- chains on this machine are not ours to delete.
  const iptables = hostState ? cleanIptables() : [];
  const ipsets = hostState ? cleanIpsets() : [];
  const cgroups = removeKubepodsCgroups();
  const sysctls = hostState ? restoreSysctls(hostState) : [];
  if (hostState) {
    removeMadeFolders(hostState);
    forgetHostState(layout);
  }
  return {
    processes: processes.length,
    runcContainers: runcContainers.length,
    mounts: mounts.length,
    netns: netns.length,
    links,
    iptables,
    ipsets: ipsets.length,
    cgroups: cgroups.length,
    sysctls,
  };
}
