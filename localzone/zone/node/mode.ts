import type { ZoneSpec } from "../../../spec/zone.js";

/** Which nodes the local zone runs: its one real node, kwok's simulated nodes, or both. */
export type LocalNodes = NonNullable<ZoneSpec["localNodes"]>;

const MODES: readonly LocalNodes[] = ["real", "simulated", "both"];

/**
 * The local zone's node mode: `PLUSKUBE_LOCALZONE_NODES`, else the zone file's `localNodes`,
 * else `both`. With both, the simulated nodes are tainted so that apps land on the real node
 * unless their zone routes them to the simulated ones (RuntimeClass `pluskube-simulated`).
 */
export function localNodesMode(
  zone: Pick<ZoneSpec, "localNodes">,
  env: NodeJS.ProcessEnv = process.env,
): LocalNodes {
  const value = env["PLUSKUBE_LOCALZONE_NODES"] ?? zone.localNodes ?? "both";
  if (!(MODES as readonly string[]).includes(value)) {
    throw new Error(`PLUSKUBE_LOCALZONE_NODES must be one of ${MODES.join(", ")}, got ${value}`);
  }
  return value as LocalNodes;
}

export function runsRealNode(mode: LocalNodes): boolean {
  return mode !== "simulated";
}

export function runsSimulatedNodes(mode: LocalNodes): boolean {
  return mode !== "real";
}
