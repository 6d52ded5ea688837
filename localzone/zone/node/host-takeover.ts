import { readdirSync, readFileSync } from "node:fs";
import { cleanIpsets, cleanIptables, removeLinks } from "./cleanup.js";
import { adoptHostState, hostNetworkOwner, readHostState } from "./host-network.js";
import { attempt } from "./host.js";
import type { NodeLayout } from "./layout.js";

/** Chains whose presence means a Kubernetes node set up this machine's network. */
const NODE_CHAIN = /^:(KUBE-SERVICES|KUBE-ROUTER-INPUT|KUBE-FORWARD|PLUSKUBE-NODE-GUARD) /m;

/**
 * Programs that keep such chains up to date while they run (`/proc/<pid>/comm`, which the
 * kernel cuts at 15 characters). While one runs, a second node would fight it over the chains.
 */
const NODE_PROGRAMS = new Set([
  "kubelet",
  "kube-proxy",
  "kube-router",
  "k3s",
  "k3s-server",
  "k3s-agent",
  "k0s",
  "rke2",
]);

/** A running program of a Kubernetes node. */
export interface LiveNodeProgram {
  readonly pid: number;
  readonly name: string;
  readonly command: string;
}

/** The first node chain in `iptables-save` output, if any. */
export function nodeChainIn(saved: string): string | undefined {
  return NODE_CHAIN.exec(saved)?.[1];
}

export function liveNodePrograms(): LiveNodeProgram[] {
  const live: LiveNodeProgram[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (!NODE_PROGRAMS.has(name)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      live.push({ pid, name, command });
    } catch {
      // Gone meanwhile, or a kernel thread.
    }
  }
  return live;
}

/** What taking the machine's network over found and did. */
export type Takeover =
  | { readonly kind: "free" }
  | { readonly kind: "own" }
  | {
      readonly kind: "stale";
      readonly chain: string;
      readonly removed: readonly string[];
      readonly adopted?: string;
    };

/**
 * Makes sure this zone's node may set up the machine's network. A zone that recorded the
 * machine's state holds it already. Chains of a node whose programs still run refuse the
 * start: two kube-proxies would fight, and `zone:down` would remove the other's chains. Chains
 * whose programs are gone (a zone of another data folder, or of a folder since deleted, whose
 * processes were killed) are leftovers: they are removed, and the state the gone zone recorded
 * of the machine, if it can be found, becomes this zone's.
 */
export function takeOverHostNetwork(layout: NodeLayout): Takeover {
  if (readHostState(layout)) return { kind: "own" };
  const chain = nodeChainIn(attempt("iptables-save", []).stdout);
  if (!chain) return { kind: "free" };
  const first = liveNodePrograms()[0];
  if (first) {
    throw new Error(
      `iptables already has the chain ${chain} of another Kubernetes node on this machine, and its ` +
        `${first.name} runs (pid ${first.pid}: ${first.command.slice(0, 200)}); stop that node ` +
        "(for a local zone of another data folder: PLUSKUBE_DATA_DIR=<its folder> npm run zone:down), " +
        "or run this zone with PLUSKUBE_LOCALZONE_NODES=simulated",
    );
  }
  const owner = hostNetworkOwner();
  const adopted =
    owner && owner !== layout.hostStateFile && adoptHostState(layout, owner) ? owner : undefined;
  const ipsets = cleanIpsets().length;
  const removed = [...cleanIptables(), ...(ipsets > 0 ? [`${ipsets} ipset(s)`] : []), ...removeLinks()];
  return { kind: "stale", chain, removed, ...(adopted ? { adopted } : {}) };
}
