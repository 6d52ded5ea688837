import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileIfChanged } from "./host.js";
import type { NodeLayout } from "./layout.js";
import { CNI_NETWORK, POD_BRIDGE, POD_CIDR, POD_GATEWAY } from "./network.js";

/** The CNI plugins the pods' network uses, by the name the configuration calls them. */
export interface CniBinaries {
  readonly bridge: string;
  readonly "host-local": string;
  readonly loopback: string;
  readonly portmap: string;
}

/**
 * The pods' network: one bridge with a gateway on the host, addresses from host-local, traffic
 * to anywhere but the pod network masqueraded (egress), and hostPort mappings. Both plugins use
 * iptables (not nftables) so that `zone:down` finds their rules among the others.
 */
export function cniConflist(layout: NodeLayout): object {
  return {
    cniVersion: "1.0.0",
    name: CNI_NETWORK,
    plugins: [
      {
        type: "bridge",
        bridge: POD_BRIDGE,
        isGateway: true,
        isDefaultGateway: true,
        ipMasq: true,
        ipMasqBackend: "iptables",
        // A pod may reach itself through its own Service.
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: POD_CIDR, gateway: POD_GATEWAY }]],
          dataDir: layout.cniIpamDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true }, backend: "iptables" },
    ],
  };
}

/** Links the plugins into the one folder the CRI reads, and writes the network's configuration. */
export function ensureCniConfig(layout: NodeLayout, bins: CniBinaries): void {
  mkdirSync(layout.cniBinDir, { recursive: true, mode: 0o755 });
  mkdirSync(layout.cniConfDir, { recursive: true, mode: 0o755 });
  mkdirSync(layout.cniIpamDir, { recursive: true, mode: 0o700 });
  for (const [name, target] of Object.entries(bins) as [string, string][]) {
    const link = join(layout.cniBinDir, name);
    const current = existsSync(link) || isLink(link) ? readlinkOrUndefined(link) : undefined;
    if (current === target) continue;
    rmSync(link, { force: true });
    symlinkSync(target, link);
  }
  writeFileIfChanged(
    join(layout.cniConfDir, `10-${CNI_NETWORK}.conflist`),
    JSON.stringify(cniConflist(layout), null, 2) + "\n",
  );
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
