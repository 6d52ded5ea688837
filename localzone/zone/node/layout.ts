import { join } from "node:path";

/** Where the real node keeps its state, all of it under `<zone>/node`. */
export interface NodeLayout {
  readonly dir: string;
  /** containerd's persistent root (images, snapshots, metadata). */
  readonly containerdRoot: string;
  /** containerd's state (task bundles, the CRI's network namespaces under `netns/`). */
  readonly containerdState: string;
  readonly containerdConfig: string;
  readonly containerdSocket: string;
  /** runc's state, one folder per containerd namespace. */
  readonly runcRoot: string;
  /** Links to the CNI plugin binaries (the CRI wants one folder holding them all). */
  readonly cniBinDir: string;
  readonly cniConfDir: string;
  /** host-local's address reservations. */
  readonly cniIpamDir: string;
  readonly kubeletRoot: string;
  readonly kubeletConfig: string;
  readonly podLogsDir: string;
  readonly volumePluginDir: string;
  readonly kubeProxyConfig: string;
  readonly corefile: string;
  /** Kubeconfigs of the node's parts, one per identity. */
  readonly kubeconfigDir: string;
  /**
   * Folders handed to persistent volumes of the real node: the members' data, beside the node's
   * runtime state rather than in it.
   */
  readonly volumesDir: string;
  /**
   * Written before the zone changes anything of the machine's network or kernel settings
   * (and the values it found), removed once `zone:down` has undone all of it.
   */
  readonly hostStateFile: string;
}

export function nodeLayout(zoneDir: string): NodeLayout {
  const dir = join(zoneDir, "node");
  const containerd = join(dir, "containerd");
  return {
    dir,
    containerdRoot: join(containerd, "root"),
    containerdState: join(containerd, "state"),
    containerdConfig: join(containerd, "config.toml"),
    containerdSocket: join(containerd, "containerd.sock"),
    runcRoot: join(containerd, "runc"),
    cniBinDir: join(dir, "cni", "bin"),
    cniConfDir: join(dir, "cni", "conf"),
    cniIpamDir: join(dir, "cni", "ipam"),
    kubeletRoot: join(dir, "kubelet"),
    kubeletConfig: join(dir, "kubelet-config.yaml"),
    podLogsDir: join(dir, "pod-logs"),
    volumePluginDir: join(dir, "volume-plugins"),
    kubeProxyConfig: join(dir, "kube-proxy-config.yaml"),
    corefile: join(dir, "Corefile"),
    kubeconfigDir: join(dir, "kubeconfigs"),
    volumesDir: join(zoneDir, "volumes"),
    hostStateFile: join(dir, "host-state.json"),
  };
}

/** Unix sockets may not be longer than this (108 bytes with the terminating zero). */
export const UNIX_SOCKET_PATH_MAX = 107;
