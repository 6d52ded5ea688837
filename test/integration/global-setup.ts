import { existsSync } from "node:fs";
import { zoneDir } from "../../localzone/paths.js";
import { ensureToolchain } from "../../localzone/toolchain.js";
import { NODE_COMPONENTS } from "../../localzone/toolchain/components.js";
import { nodeLayout } from "../../localzone/zone/node/layout.js";
import { zoneDown, zoneUp } from "../../localzone/zone.js";
import { ensureBuilt } from "./helpers/build.js";
import { hostDifferences, hostSnapshot, type HostSnapshot } from "./helpers/host-state.js";
import { deleteNamespaces, testNamespaces } from "./helpers/test-namespaces.js";
import { dropZoneLease, otherRunsUseZone, takeZoneLease } from "./helpers/zone-lease.js";

/** What the integration tests cannot run without; the other components are reported, not fatal. */
const REQUIRED = [
  "pulumi",
  "language-nodejs",
  "kubernetes-provider",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "seaweedfs",
  "postgresql",
  ...NODE_COMPONENTS,
];

const say = (line: string): void => console.log(`[local zone ${process.pid}] ${line}`);

/**
 * vitest globalSetup of the integration project: compiles the policy pack and stack programs when
 * their sources changed, builds whatever of the toolchain is missing
 * (cached after the first run), starts the local zone, and stops it after the run, whether the
 * tests passed or not (unless another test run on this machine still uses it). Set
 * PLUSKUBE_KEEP_ZONE=1 to leave the zone running afterwards.
 */
export default async function setup(): Promise<() => Promise<void>> {
  ensureBuilt(say);
  const toolchain = await ensureToolchain({ say });
  const missing = toolchain.failed.filter((name) => REQUIRED.includes(name));
  const others = toolchain.failed.filter((name) => !REQUIRED.includes(name));
  if (others.length > 0) say(`not available, tests that need them will fail: ${others.join(", ")}`);
  if (missing.length > 0) throw new Error(`the local zone's toolchain failed: ${missing.join(", ")}`);
  takeZoneLease();
  // The machine as it is without the zone's node, when the run starts the node itself: after
  // the run's zone:down it must be exactly so again, whatever the tests did on the node.
  const idle = hostSnapshot();
  const nodeLeftovers = idle.processes.length > 0 || existsSync(nodeLayout(zoneDir()).hostStateFile);
  const bare: HostSnapshot | undefined = nodeLeftovers ? undefined : idle;
  const killedNodeTraces =
    idle.iptables.some((line) => / chain (KUBE-|PLUSKUBE-)/.test(line)) ||
    idle.folders.some((line) => line.includes("/run/containerd/s/"));
  const teardown = async (): Promise<void> => {
    const last = dropZoneLease();
    if (process.env["PLUSKUBE_KEEP_ZONE"] === "1") {
      say("PLUSKUBE_KEEP_ZONE=1: leaving the zone running (npm run zone:down stops it)");
    } else if (!last) {
      say("another test run still uses the zone: leaving it running");
    } else {
      await zoneDown({ say });
      // What a node killed earlier left (its chains, its shims' sockets, the kernel settings it
      // changed) is swept by this run's zone: only what the run added counts then.
      const left = bare
        ? hostDifferences(bare, hostSnapshot()).filter(
            (line) => !killedNodeTraces || (line.includes(" + ") && !line.startsWith("sysctls ")),
          )
        : [];
      if (left.length > 0) {
        // vitest reports an error thrown here but still exits 0: the exit code must say it.
        console.error(`zone:down left the real node's traces on this machine:\n  ${left.join("\n  ")}`);
        process.exitCode = 1;
      }
    }
  };
  try {
    await zoneUp({ say });
    // A run stopped half-way (or a test that leaked) leaves projects whose pods hold the real
    // node's CPU; this run starts from a clean zone, unless another run still uses it.
    const stale = otherRunsUseZone() ? [] : ((await testNamespaces()) ?? []);
    if (stale.length > 0) {
      say(`deleting test namespaces an earlier run left: ${stale.join(", ")}`);
      await deleteNamespaces(stale);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
