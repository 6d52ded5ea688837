import { describe, expect, it } from "vitest";
import { volumeSource } from "../../localzone/volume-provisioner.js";
import { iptablesCleanup, mountsUnder, ZONE_IPSET } from "../../localzone/zone/node/cleanup.js";
import { cniConflist } from "../../localzone/zone/node/cni.js";
import { CAP_SYS_RESOURCE, containerdConfig, hasCapability } from "../../localzone/zone/node/containerd.js";
import { guardRules } from "../../localzone/zone/node/host-network.js";
import { nodeChainIn } from "../../localzone/zone/node/host-takeover.js";
import { kubeletConfiguration } from "../../localzone/zone/node/kubelet.js";
import { nodeLayout } from "../../localzone/zone/node/layout.js";
import { localNodesMode } from "../../localzone/zone/node/mode.js";
import { podAccessRules, withPodAccess } from "../../localzone/zone/postgres.js";
import { loadZone } from "../../zones/index.js";

const ZONE_DIR = "/data/pluskube/localzone";
const layout = nodeLayout(ZONE_DIR);

describe("the real node's cleanup of iptables", () => {
  const saved = [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD ACCEPT [0:0]",
    ":KUBE-FIREWALL - [0:0]",
    ":KUBE-ROUTER-INPUT - [0:0]",
    ":DOCKER-USER - [0:0]",
    '-A INPUT -m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT',
    "-A INPUT -j KUBE-FIREWALL",
    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
    "-A FORWARD -j DOCKER-USER",
    "-A KUBE-FIREWALL -j DROP",
    "COMMIT",
  ].join("\n");

  it("deletes the jumps into the zone's chains, then flushes and deletes those chains", () => {
    const script = iptablesCleanup("filter", saved);

    expect(script.split("\n")).toEqual([
      "*filter",
      '-D INPUT -m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT',
      "-D INPUT -j KUBE-FIREWALL",
      "-F KUBE-FIREWALL",
      "-F KUBE-ROUTER-INPUT",
      "-X KUBE-FIREWALL",
      "-X KUBE-ROUTER-INPUT",
      "COMMIT",
      "",
    ]);
  });

  it("leaves others' rules and chains alone", () => {
    const script = iptablesCleanup("filter", saved);

    expect(script).not.toContain("--dport 22");
    expect(script).not.toContain("DOCKER-USER");
  });

  it("has nothing to do on a table without the zone's chains", () => {
    expect(iptablesCleanup("raw", "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n")).toBe("");
  });
});

describe("the ipsets the node's cleanup removes", () => {
  it.each([
    "KUBE-DST-6L4KQBQUFRSDMGQE",
    "kube-router-pod-subnets",
    "inet6:kube-router-node-ips",
    "TMP-BXHY5LLMLSN36WFL",
  ])("include %s", (name) => expect(ZONE_IPSET.test(name)).toBe(true));

  it.each(["TMP-backup", "TMP-BXHY5LLMLSN36WFL-2", "f2b-sshd", "docker-allowed"])("exclude %s", (name) =>
    expect(ZONE_IPSET.test(name)).toBe(false),
  );
});

describe("the mounts under the node's folder", () => {
  const line = (point: string): string =>
    `100 30 0:52 / ${point} rw,relatime shared:1 - overlay overlay rw,lowerdir=/x`;
  const mountinfo = [
    line("/"),
    line(`${ZONE_DIR}/node/kubelet`),
    line(`${ZONE_DIR}/node/kubelet/pods/uid/volumes/kubernetes.io~local-volume/pvc-1`),
    line(`${ZONE_DIR}/node/containerd/state/io.containerd.grpc.v1.cri/netns/cni-1`),
    line(`${ZONE_DIR}/node/with\\040space`),
    line(`${ZONE_DIR}/node-other`),
  ].join("\n");

  it("are listed deepest first, with escaped characters decoded", () => {
    const points = mountsUnder(`${ZONE_DIR}/node`, mountinfo);

    expect(points).toEqual([
      `${ZONE_DIR}/node/kubelet/pods/uid/volumes/kubernetes.io~local-volume/pvc-1`,
      `${ZONE_DIR}/node/containerd/state/io.containerd.grpc.v1.cri/netns/cni-1`,
      `${ZONE_DIR}/node/with space`,
      `${ZONE_DIR}/node/kubelet`,
    ]);
  });

  it("leave out a folder that merely starts with the same name", () => {
    expect(mountsUnder(`${ZONE_DIR}/node`, mountinfo)).not.toContain(`${ZONE_DIR}/node-other`);
  });
});

describe("the node guard", () => {
  const rules = guardRules({ postgresPort: 15432, s3Port: 18333 });
  const guard = rules.ipv4.split("\n").filter((l) => l.startsWith("-A PLUSKUBE-NODE-GUARD"));

  it("lets pods reach the node on cluster DNS, PostgreSQL and S3 only, and drops the rest", () => {
    expect(guard).toEqual([
      "-A PLUSKUBE-NODE-GUARD -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN",
      "-A PLUSKUBE-NODE-GUARD -d 169.254.20.10/32 -p udp -m udp --dport 53 -j RETURN",
      "-A PLUSKUBE-NODE-GUARD -d 169.254.20.10/32 -p tcp -m tcp --dport 53 -j RETURN",
      "-A PLUSKUBE-NODE-GUARD -d 10.254.254.1/32 -p tcp -m tcp --dport 15432 -j RETURN",
      "-A PLUSKUBE-NODE-GUARD -d 10.254.254.1/32 -p tcp -m tcp --dport 18333 -j RETURN",
      '-A PLUSKUBE-NODE-GUARD -m comment --comment "pluskube: pods reach no other port of the node" -j DROP',
    ]);
  });

  it("keeps the node's addresses and the S3 port from other interfaces", () => {
    const host = rules.ipv4.split("\n").filter((l) => l.startsWith("-A PLUSKUBE-HOST-GUARD"));

    expect(host).toEqual([
      "-A PLUSKUBE-HOST-GUARD -i lo -j RETURN",
      "-A PLUSKUBE-HOST-GUARD -i pluskube-br0 -j RETURN",
      "-A PLUSKUBE-HOST-GUARD -d 10.254.254.1/32 -j DROP",
      "-A PLUSKUBE-HOST-GUARD -d 169.254.20.10/32 -j DROP",
      "-A PLUSKUBE-HOST-GUARD -p tcp -m tcp --dport 18333 -j DROP",
    ]);
  });

  it("keeps pods' traffic from link-local addresses beyond the node and from Services without endpoints", () => {
    const egress = rules.ipv4.split("\n").filter((l) => l.startsWith("-A PLUSKUBE-POD-EGRESS"));

    expect(egress).toEqual([
      '-A PLUSKUBE-POD-EGRESS -d 169.254.0.0/16 -m comment --comment "pluskube: no link-local address beyond the node" -j DROP',
      '-A PLUSKUBE-POD-EGRESS -d 10.96.0.0/16 -m comment --comment "pluskube: a Service without endpoints" -j DROP',
    ]);
  });

  it("drops every IPv6 packet of the pods", () => {
    expect(rules.ipv6).toContain(
      '-A PLUSKUBE-NODE-GUARD -m comment --comment "pluskube: pods have no IPv6" -j DROP',
    );
    expect(rules.ipv6).not.toContain("RETURN");
  });

  it("lives in the mangle table, ahead of kube-router's filter chains", () => {
    expect(rules.ipv4.startsWith("*mangle\n")).toBe(true);
    expect(rules.ipv6.startsWith("*mangle\n")).toBe(true);
  });
});

describe("PostgreSQL's rules for pods", () => {
  const zone = loadZone("local");
  const block = podAccessRules(zone, "10.244.0.0/24", "pluskube-service", "10.254.254.1");
  const initdb = "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n";

  it("refuse the admin and the service role from the pod network, whatever the database", () => {
    expect(block).toContain(`host all "${zone.postgres.adminUser}" 10.244.0.0/24 reject`);
    expect(block).toContain('host all "pluskube-service" 10.244.0.0/24 reject');
    expect(block.indexOf("reject")).toBeLessThan(block.indexOf("sameuser"));
  });

  it("let a role reach only the database of its own name, with a password", () => {
    expect(block).toContain("host sameuser all 10.244.0.0/24 scram-sha-256");
    // The machine itself, at the node address, as a member's own tools connect.
    expect(block).toContain("host sameuser all 10.254.254.1/32 scram-sha-256");
    expect(block.split("\n").filter((l) => l.startsWith("host")).length).toBe(4);
  });

  it("are appended after initdb's rules, replaced in place, and removed", () => {
    const added = withPodAccess(initdb, block);
    const again = withPodAccess(added, block);
    const removed = withPodAccess(added, undefined);

    expect(added.startsWith(initdb)).toBe(true);
    expect(again).toBe(added);
    expect(removed).toBe(initdb);
  });
});

describe("the node mode", () => {
  it("is both by default", () => {
    expect(localNodesMode({}, {})).toBe("both");
  });

  it("comes from the zone file, and PLUSKUBE_LOCALZONE_NODES overrides it", () => {
    expect(localNodesMode({ localNodes: "simulated" }, {})).toBe("simulated");
    expect(localNodesMode({ localNodes: "simulated" }, { PLUSKUBE_LOCALZONE_NODES: "real" })).toBe("real");
  });

  it("refuses an unknown mode by name", () => {
    expect(() => localNodesMode({}, { PLUSKUBE_LOCALZONE_NODES: "kwok" })).toThrow(
      /PLUSKUBE_LOCALZONE_NODES must be one of real, simulated, both, got kwok/,
    );
  });
});

describe("containerd's configuration", () => {
  const bins = { containerd: "/cache/containerd", shim: "/cache/shim", runc: "/cache/runc" };

  it("keeps everything containerd writes under the node's folder", () => {
    const config = containerdConfig(layout, bins, "pluskube.local/pause:abc", true);
    const paths = [...config.matchAll(/'(\/[^']*)'/g)].map((m) => m[1] ?? "");

    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths)
      expect(path.startsWith(`${ZONE_DIR}/node/`) || path.startsWith("/cache/")).toBe(true);
    expect(config).toContain("imports = []");
    expect(config).toContain("netns_mounts_under_state_dir = true");
  });

  it("uses runc with cgroupfs, the pinned sandbox image, and the zone's CNI folders", () => {
    const config = containerdConfig(layout, bins, "pluskube.local/pause:abc", true);

    expect(config).toContain("BinaryName = '/cache/runc'");
    expect(config).toContain("SystemdCgroup = false");
    expect(config).toContain("sandbox = 'pluskube.local/pause:abc'");
    expect(config).toContain(`bin_dirs = ['${layout.cniBinDir}']`);
  });

  it("keeps containers' OOM scores at its own where it may not lower them", () => {
    expect(containerdConfig(layout, bins, "p", false)).toContain("restrict_oom_score_adj = true");
    expect(containerdConfig(layout, bins, "p", true)).toContain("restrict_oom_score_adj = false");
  });

  it("reads a capability from the effective set", () => {
    const withAll = "Name:\tx\nCapEff:\t000001ffffffffff\n";
    const without = "Name:\tx\nCapEff:\t000001fffeffffff\n";

    expect(hasCapability(CAP_SYS_RESOURCE, withAll)).toBe(true);
    expect(hasCapability(CAP_SYS_RESOURCE, without)).toBe(false);
  });
});

describe("the kubelet's configuration", () => {
  const identities = {
    kubeletKubeconfig: "/k/kubelet.kubeconfig",
    kubeletServing: { cert: "/pki/kubelet-serving.crt", key: "/pki/kubelet-serving.key" },
    kubeProxyKubeconfig: "",
    corednsKubeconfig: "",
    kubeRouterKubeconfig: "",
    metricsServerKubeconfig: "",
    metricsServerServing: { cert: "", key: "" },
  };
  const config = kubeletConfiguration(layout, identities, "/pki/ca.crt") as Record<string, unknown>;

  it("runs on this machine's cgroup v1 hierarchies with the cgroupfs driver", () => {
    expect(config["failCgroupV1"]).toBe(false);
    expect(config["cgroupDriver"]).toBe("cgroupfs");
  });

  it("serves its API on the node address only, to clients the API server authorizes", () => {
    expect(config["address"]).toBe("10.254.254.1");
    expect(config["readOnlyPort"]).toBe(0);
    expect(config["healthzBindAddress"]).toBe("127.0.0.1");
    expect(config["authentication"]).toEqual({
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: "/pki/ca.crt" },
    });
    expect(config["authorization"]).toEqual({ mode: "Webhook" });
  });

  it("points pods at the cluster DNS and containerd's socket under the node's folder", () => {
    expect(config["clusterDNS"]).toEqual(["169.254.20.10"]);
    expect(config["clusterDomain"]).toBe("cluster.local");
    expect(config["containerRuntimeEndpoint"]).toBe(`unix://${layout.containerdSocket}`);
    expect(config["podLogsDir"]).toBe(layout.podLogsDir);
  });
});

describe("the pods' network", () => {
  const conflist = cniConflist(layout) as { name: string; plugins: Record<string, unknown>[] };

  it("is one bridge with host-local addresses from the node's pod range, masqueraded to the outside", () => {
    const bridge = conflist.plugins[0] ?? {};

    expect(bridge["bridge"]).toBe("pluskube-br0");
    expect(bridge["ipMasq"]).toBe(true);
    expect(bridge["ipMasqBackend"]).toBe("iptables");
    expect(bridge["ipam"]).toEqual({
      type: "host-local",
      ranges: [[{ subnet: "10.244.0.0/24", gateway: "10.244.0.1" }]],
      dataDir: layout.cniIpamDir,
    });
  });

  it("maps host ports through iptables", () => {
    expect(conflist.plugins[1]).toEqual({
      type: "portmap",
      capabilities: { portMappings: true },
      backend: "iptables",
    });
  });
});

describe("a volume of the local zone", () => {
  it("is a local folder of the real node when the node runs, usable on either kind of node", () => {
    expect(volumeSource("pvc-1", "/zone/volumes")).toEqual({
      local: { path: "/zone/volumes/pvc-1" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "pluskube.dev/node", operator: "In", values: ["real"] }] },
            { matchExpressions: [{ key: "type", operator: "In", values: ["kwok"] }] },
          ],
        },
      },
    });
  });

  it("points nowhere when only simulated nodes run", () => {
    expect(volumeSource("pvc-1", undefined)).toEqual({ hostPath: { path: "/nonexistent/pluskube/pvc-1" } });
  });
});

describe("another node's chains on the machine", () => {
  it("finds the chains a Kubernetes node or an earlier zone keeps", () => {
    expect(nodeChainIn("*filter\n:INPUT ACCEPT [0:0]\n:KUBE-FORWARD - [0:0]\nCOMMIT\n")).toBe("KUBE-FORWARD");
    expect(nodeChainIn("*mangle\n:PLUSKUBE-NODE-GUARD - [0:0]\nCOMMIT\n")).toBe("PLUSKUBE-NODE-GUARD");
  });

  it("takes the kubelet's own canary chains and others' chains for no node", () => {
    expect(
      nodeChainIn("*filter\n:KUBE-KUBELET-CANARY - [0:0]\n:DOCKER-USER - [0:0]\nCOMMIT\n"),
    ).toBeUndefined();
  });
});
