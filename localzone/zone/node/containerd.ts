import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessSpec } from "../process.js";
import { writeFileIfChanged } from "./host.js";
import { UNIX_SOCKET_PATH_MAX, type NodeLayout } from "./layout.js";

/** The binaries containerd runs: its shim, and runc built with seccomp. */
export interface RuntimeBinaries {
  readonly containerd: string;
  readonly shim: string;
  readonly runc: string;
}

const quote = (text: string): string => `'${text.replace(/'/g, "")}'`;

/**
 * containerd's configuration (version 3, containerd 2.x). Everything it keeps is under the zone
 * folder: root, state, its sockets, runc's state, and the network namespaces of the pods
 * (`netns_mounts_under_state_dir`), so `zone:down` finds every mount under one folder. Only the
 * shims' sockets stay in `/run/containerd/s`, a path containerd does not let one configure.
 * Plugins that would read or write machine-wide folders (`/etc/containerd/conf.d`, NRI's
 * `/var/run/nri`, `/opt/containerd`) are turned off or moved.
 */
export function containerdConfig(
  layout: NodeLayout,
  bins: RuntimeBinaries,
  sandboxImage: string,
  canLowerOomScore = hasCapability(CAP_SYS_RESOURCE),
): string {
  const cri = "plugins.'io.containerd.cri.v1.runtime'";
  return `# Written by pluskube's local zone on every start; edits are overwritten.
version = 3
root = ${quote(layout.containerdRoot)}
state = ${quote(layout.containerdState)}
imports = []

[plugins.'io.containerd.server.v1.grpc']
  address = ${quote(layout.containerdSocket)}

[plugins.'io.containerd.server.v1.ttrpc']
  address = ${quote(`${layout.containerdSocket}.ttrpc`)}

[plugins.'io.containerd.server.v1.debug']
  address = ''

[plugins.'io.containerd.server.v1.metrics']
  address = ''

[plugins.'io.containerd.internal.v1.opt']
  path = ${quote(join(layout.containerdRoot, "opt"))}

[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.image-verifier.v1.bindir']
  bin_dir = ${quote(join(layout.containerdRoot, "image-verifier"))}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  # No registry is reachable from this machine: the sandbox image is built and imported locally.
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = ${quote(sandboxImage)}

[${cri}]
  enable_selinux = false
  netns_mounts_under_state_dir = true
  # Without CAP_SYS_RESOURCE (some sandboxes withhold it) no process may go below its parent's
  # OOM score, and runc would fail every pod sandbox (the kubelet asks -998 for them).
  restrict_oom_score_adj = ${canLowerOomScore ? "false" : "true"}
  cdi_spec_dirs = []
  [${cri}.containerd]
    default_runtime_name = 'runc'
    [${cri}.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      runtime_path = ${quote(bins.shim)}
      [${cri}.containerd.runtimes.runc.options]
        BinaryName = ${quote(bins.runc)}
        Root = ${quote(layout.runcRoot)}
        # cgroupfs, as the kubelet's cgroupDriver: no systemd manages this machine's cgroups.
        SystemdCgroup = false
  [${cri}.cni]
    bin_dirs = [${quote(layout.cniBinDir)}]
    conf_dir = ${quote(layout.cniConfDir)}
    max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
`;
}

/** Linux's capability number for CAP_SYS_RESOURCE (lowering an OOM score needs it). */
export const CAP_SYS_RESOURCE = 24;

/** Whether this process holds a capability (its effective set in /proc/self/status). */
export function hasCapability(bit: number, status = readFileSync("/proc/self/status", "utf8")): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && (BigInt(`0x${hex}`) & (1n << BigInt(bit))) !== 0n;
}

/** Writes the configuration and makes containerd's folders; returns the process to start. */
export function containerdSpec(layout: NodeLayout, bins: RuntimeBinaries, sandboxImage: string): ProcessSpec {
  if (`${layout.containerdSocket}.ttrpc`.length > UNIX_SOCKET_PATH_MAX) {
    throw new Error(
      `containerd's socket ${layout.containerdSocket}.ttrpc is longer than a unix socket may be; ` +
        "set PLUSKUBE_DATA_DIR to a shorter folder",
    );
  }
  for (const dir of [layout.containerdRoot, layout.containerdState, layout.runcRoot]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  writeFileIfChanged(layout.containerdConfig, containerdConfig(layout, bins, sandboxImage), 0o600);
  return {
    name: "containerd",
    command: bins.containerd,
    args: ["--config", layout.containerdConfig, "--log-level", "warn"],
    // The shims containerd starts find runc through the config; PATH only serves the CNI plugins'
    // own calls to iptables.
    env: { ...process.env, PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  };
}
