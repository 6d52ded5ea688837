import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { zoneDir } from "../../../localzone/paths.js";
import { HOST_FOLDERS, TOUCHED_SYSCTLS } from "../../../localzone/zone/node/host-network.js";
import { IPTABLES_TABLES } from "../../../localzone/zone/node/cleanup.js";
import { nodeLayout } from "../../../localzone/zone/node/layout.js";

/**
 * What the real node can leave on the machine, read from the machine itself (not from the
 * zone's own records): processes, mounts, network namespaces, links and addresses, iptables
 * rules and chains (IPv4 and IPv6), ipsets, the kubelet's cgroups, kernel settings and folders.
 */
export interface HostSnapshot {
  /** Processes of the node: its binaries, anything in the kubelet's cgroups or under the node folder. */
  readonly processes: readonly string[];
  readonly mounts: readonly string[];
  /** Network namespaces held by a mount or named in `ip netns`, and the node folder's netns files. */
  readonly netns: readonly string[];
  readonly links: readonly string[];
  readonly addresses: readonly string[];
  /** Rules and user chains of each table (built-in chains' policies and counters left out). */
  readonly iptables: readonly string[];
  readonly ipsets: readonly string[];
  readonly cgroups: readonly string[];
  readonly sysctls: readonly string[];
  /** Which of the folders the node makes outside the zone folder exist, and what they hold. */
  readonly folders: readonly string[];
}

function lines(command: string, args: readonly string[]): string[] {
  const res = spawnSync(command, args, { encoding: "utf8" });
  return res.status === 0 ? res.stdout.split("\n").filter((l) => l.trim() !== "") : [];
}

/**
 * The node's processes: what names the node's folder (its daemons, the shims) or runs in the
 * kubelet's cgroups (the containers). Another containerd on this machine, started from the same
 * binary for a build or a test, names other folders.
 */
function nodeProcesses(): string[] {
  const nodeDir = nodeLayout(zoneDir()).dir;
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, "utf8");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if (/:\/kubepods(\/|$)/m.test(cgroup) || cmdline.includes(`${nodeDir}/`)) {
        found.push(`${entry} ${cmdline.slice(0, 160)}`);
      }
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return found;
}

function mountinfo(): string[][] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "));
}

function netnsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const child = join(path, entry.name);
      if (entry.name === "netns") found.push(...readdirSync(child).map((f) => join(child, f)));
      else walk(child);
    }
  };
  walk(dir);
  return found;
}

function iptables(): string[] {
  const rules: string[] = [];
  for (const save of ["iptables-save", "ip6tables-save"]) {
    for (const table of IPTABLES_TABLES) {
      for (const line of lines(save, ["-t", table])) {
        if (line.startsWith("-A ")) rules.push(`${save} ${table} ${line}`);
        const chain = /^:(\S+) - /.exec(line)?.[1];
        if (chain) rules.push(`${save} ${table} chain ${chain}`);
      }
    }
  }
  return rules;
}

function kubepodsCgroups(): string[] {
  const root = "/sys/fs/cgroup";
  if (!existsSync(root)) return [];
  return [root, ...readdirSync(root).map((name) => join(root, name))]
    .map((hierarchy) => join(hierarchy, "kubepods"))
    .filter((dir) => existsSync(dir));
}

/**
 * Where the node's parts could mount: the zone's folder (the kubelet's volumes, containerd's
 * root filesystems, the pods' network namespaces), and the machine-wide places a default
 * containerd or kubelet would use. Mounts elsewhere belong to others on this machine.
 */
function nodeMountPlaces(): string[] {
  return [`${zoneDir()}/`, "/run/containerd/", "/run/netns/", "/var/run/netns/", "/var/lib/kubelet/"];
}

/** The machine's state as far as the real node could touch it. */
export function hostSnapshot(): HostSnapshot {
  const mounts = mountinfo();
  const places = nodeMountPlaces();
  return {
    processes: nodeProcesses(),
    mounts: mounts
      .map((fields) => `${fields[4] ?? ""} ${fields[fields.indexOf("-") + 1] ?? ""}`)
      .filter((mount) => places.some((place) => mount.startsWith(place)) || mount.endsWith(" nsfs"))
      .sort(),
    netns: [
      ...mounts
        .filter((fields) => fields[fields.indexOf("-") + 1] === "nsfs")
        .map((fields) => `nsfs ${fields[4]}`),
      ...lines("ip", ["netns", "list"]).map((name) => `ip netns ${name}`),
      ...netnsFiles(nodeLayout(zoneDir()).containerdState),
    ].sort(),
    links: lines("ip", ["-o", "link", "show"])
      .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? line)
      .sort(),
    addresses: lines("ip", ["-o", "addr", "show"])
      .map((line) => line.split(/\s+/).slice(1, 4).join(" "))
      .sort(),
    iptables: iptables().sort(),
    ipsets: lines("ipset", ["list", "-n"]).sort(),
    cgroups: kubepodsCgroups(),
    sysctls: TOUCHED_SYSCTLS.map((name) => {
      const path = `/proc/sys/${name.replace(/\./g, "/")}`;
      return `${name}=${existsSync(path) ? readFileSync(path, "utf8").trim() : "(none)"}`;
    }),
    folders: HOST_FOLDERS.flatMap((dir) =>
      existsSync(dir)
        ? [`${dir} exists`, ...readdirSync(dir).map((entry) => `${dir}/${entry}`)]
        : [`${dir} missing`],
    ),
  };
}

/** What differs between two snapshots, one line per item: `+` only after, `-` only before. */
export function hostDifferences(before: HostSnapshot, after: HostSnapshot): string[] {
  const differences: string[] = [];
  for (const key of Object.keys(before) as (keyof HostSnapshot)[]) {
    const was = new Set(before[key]);
    const is = new Set(after[key]);
    for (const item of is) if (!was.has(item)) differences.push(`${key} + ${item}`);
    for (const item of was) if (!is.has(item)) differences.push(`${key} - ${item}`);
  }
  return differences;
}
