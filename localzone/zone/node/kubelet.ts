import { mkdirSync } from "node:fs";
import { stringify } from "yaml";
import type { ProcessSpec } from "../process.js";
import type { NodeIdentities } from "./identities.js";
import { writeFileIfChanged } from "./host.js";
import type { NodeLayout } from "./layout.js";
import {
  CLUSTER_DNS_IP,
  CLUSTER_DOMAIN,
  NODE_IP,
  NODE_NAME,
  NODE_PORTS,
  POD_CIDR,
  REAL_NODE_LABEL,
} from "./network.js";

/**
 * The kubelet's configuration. Notable choices, each for this machine or for a zone that shares
 * one machine with its own control plane:
 * - `failCgroupV1: false`: the machine's cgroups are v1 (a hybrid mount with an empty unified
 *   hierarchy), which kubelet 1.35+ refuses unless told otherwise. It then runs in cgroup v1's
 *   maintenance mode: no MemoryQoS, no swap for pods, no PSI, and an out-of-memory container
 *   loses the one process the kernel picks rather than the whole container (v1 has no
 *   `memory.oom.group`); a later Kubernetes release drops v1 altogether. The kubelet creates its
 *   `kubepods` cgroups beside the machine's own and never remounts any hierarchy.
 * - `cgroupDriver: cgroupfs`, as containerd's runc options: no systemd manages these cgroups.
 * - the API only on the node address, healthz on loopback, no read-only port; clients
 *   authenticate with certificates of the zone's CA and are authorized by the API server.
 * - eviction thresholds in absolute sizes: the machine's disk is shared with the toolchain's
 *   caches, so percentages would evict pods (or report disk pressure) for others' files.
 * - image garbage collection off: the zone's images are built locally and cannot be pulled
 *   again once collected.
 * - `seccompDefault`: every container gets the runtime's default seccomp profile unless its pod
 *   asks for another.
 */
export function kubeletConfiguration(layout: NodeLayout, identities: NodeIdentities, caCert: string): object {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    address: NODE_IP,
    port: NODE_PORTS.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: NODE_PORTS.kubeletHealthz,
    tlsCertFile: identities.kubeletServing.cert,
    tlsPrivateKeyFile: identities.kubeletServing.key,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: caCert },
    },
    authorization: { mode: "Webhook" },
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    cgroupDriver: "cgroupfs",
    failCgroupV1: false,
    failSwapOn: false,
    clusterDNS: [CLUSTER_DNS_IP],
    clusterDomain: CLUSTER_DOMAIN,
    resolvConf: "/etc/resolv.conf",
    podCIDR: POD_CIDR,
    hairpinMode: "hairpin-veth",
    podLogsDir: layout.podLogsDir,
    volumePluginDir: layout.volumePluginDir,
    registerNode: true,
    maxPods: 110,
    serializeImagePulls: false,
    seccompDefault: true,
    protectKernelDefaults: false,
    evictionHard: {
      "memory.available": "256Mi",
      "nodefs.available": "2Gi",
      "imagefs.available": "2Gi",
      "nodefs.inodesFree": "1%",
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // The zone stops its pods itself on zone:down; there is no systemd to delay a shutdown.
    shutdownGracePeriod: "0s",
    shutdownGracePeriodCriticalPods: "0s",
    logging: { format: "text" },
  };
}

/** Writes the kubelet's configuration and returns the process to start. */
export function kubeletSpec(
  bin: string,
  layout: NodeLayout,
  identities: NodeIdentities,
  caCert: string,
): ProcessSpec {
  for (const dir of [layout.kubeletRoot, layout.podLogsDir, layout.volumePluginDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  writeFileIfChanged(
    layout.kubeletConfig,
    stringify(kubeletConfiguration(layout, identities, caCert)),
    0o600,
  );
  return {
    name: "kubelet",
    command: bin,
    args: [
      `--config=${layout.kubeletConfig}`,
      `--kubeconfig=${identities.kubeletKubeconfig}`,
      `--root-dir=${layout.kubeletRoot}`,
      `--cert-dir=${layout.kubeletRoot}/pki`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      `--node-labels=${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value}`,
      "--v=1",
    ],
    env: { ...process.env, PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  };
}
