/**
 * `zone:down` leaves nothing of the real node on the machine: no process, mount, network
 * namespace, link, iptables rule or chain, ipset, cgroup, kernel setting or folder. The test
 * takes the zone down (the suite's global setup started it), reads the machine, starts the zone
 * with a pod that holds a volume, a Service and a NetworkPolicy (so that there is one of each
 * kind of trace), takes it down again and compares. It leaves the zone up for the files after
 * it; the run holds the machine-wide lock, so no other run uses the zone meanwhile.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { zoneDir } from "../../localzone/paths.js";
import { HOST_OWNER_FILE } from "../../localzone/zone/node/host-network.js";
import { nodeLayout } from "../../localzone/zone/node/layout.js";
import { localImage } from "../../localzone/images.js";
import { zoneDown, zoneUp } from "../../localzone/zone.js";
import { NODE_NAME } from "../../localzone/zone/node/network.js";
import { hostDifferences, hostSnapshot } from "./helpers/host-state.js";
import { eventually, kubeGet, kubeSend, statusMessage, waitUntilGone } from "./helpers/local-zone.js";

const NAMESPACE = "it-node-cleanup";

interface PodStatus {
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly status: string; readonly message?: string }[];
  };
}
const say = (line: string): void => console.log(`[node cleanup] ${line}`);

async function create(collection: string, object: object): Promise<void> {
  const res = await kubeSend("POST", collection, object);
  if (res.status !== 201) throw new Error(`POST ${collection}: ${res.status} ${statusMessage(res.body)}`);
}

/** A pod on the real node with a volume, behind a Service, under a NetworkPolicy. */
async function podWithEverything(): Promise<void> {
  await create("/api/v1/namespaces", {
    metadata: { name: NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  });
  const ns = `/api/v1/namespaces/${NAMESPACE}`;
  await create(`${ns}/persistentvolumeclaims`, {
    metadata: { name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  });
  await create(`/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/networkpolicies`, {
    metadata: { name: "only-within" },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    },
  });
  await create(`${ns}/services`, {
    metadata: { name: "sleeper" },
    spec: { selector: { app: "sleeper" }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await create(`${ns}/pods`, {
    metadata: { name: "sleeper", labels: { app: "sleeper" } },
    spec: {
      automountServiceAccountToken: false,
      nodeSelector: { "kubernetes.io/hostname": NODE_NAME },
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "sleeper",
          // The pod sandbox image sleeps until it is told to stop: enough to hold a container.
          image: localImage("pause").ref,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          resources: { limits: { cpu: "50m", memory: "32Mi" } },
          volumeMounts: [{ name: "data", mountPath: "/data" }],
        },
      ],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
    },
  });
  await eventually(
    "the pod to run on the real node",
    async () => {
      const pod = await kubeGet<PodStatus>(`${ns}/pods/sleeper`);
      if (pod.status?.phase === "Running") return true;
      // The timeout's message says why: unschedulable (and what holds the node), or pulling.
      const why = (pod.status?.conditions ?? []).filter((c) => c.status !== "True").map((c) => c.message);
      throw new Error(
        `pod is ${pod.status?.phase ?? "unknown"}: ${why.join("; ") || "no condition says why"}`,
      );
    },
    120_000,
  );
}

describe("zone:down with the real node", () => {
  afterAll(async () => {
    await zoneUp({ say });
    await kubeSend("DELETE", `/api/v1/namespaces/${NAMESPACE}`);
    await waitUntilGone(`/api/v1/namespaces/${NAMESPACE}`);
  });

  it("leaves no process, mount, network namespace, link, iptables rule, ipset, cgroup or setting behind", async () => {
    await zoneDown({ say });
    const before = hostSnapshot();
    await zoneUp({ say });
    await podWithEverything();
    const during = hostSnapshot();
    await zoneDown({ say });
    const after = hostSnapshot();

    const seen = new Set(hostDifferences(before, during).map((line) => line.split(" ")[0]));
    // The snapshot must see each kind of trace while the node runs, or its silence proves nothing.
    for (const kind of [
      "processes",
      "mounts",
      "netns",
      "links",
      "addresses",
      "iptables",
      "ipsets",
      "cgroups",
      "folders",
    ]) {
      expect(seen, `a running node shows in ${kind}`).toContain(kind);
    }
    expect(hostDifferences(before, after)).toEqual([]);
  });

  it("takes over what a killed node left on the machine, and refuses a node whose programs run", async () => {
    await zoneDown({ say });
    const before = hostSnapshot();

    // Another node's chain, with its kube-proxy running: a second node would fight it.
    spawnSync("iptables", ["-N", "KUBE-FORWARD"]);
    const fakeDir = mkdtempSync(join(tmpdir(), "other-node-"));
    copyFileSync("/bin/sleep", join(fakeDir, "kube-proxy"));
    const other = spawn(join(fakeDir, "kube-proxy"), ["600"], { stdio: "ignore" });
    try {
      await expect(zoneUp({ say })).rejects.toThrow(/chain KUBE-FORWARD .*its kube-proxy runs/);
    } finally {
      other.kill("SIGKILL");
    }

    // Its programs gone, the chain is a leftover.
    const said: string[] = [];
    await zoneUp({ say: (line) => (said.push(line), say(line)) });
    expect(said.join("\n")).toMatch(
      /removed what a Kubernetes node that no longer runs left .*chain KUBE-FORWARD/,
    );

    await kubeSend("DELETE", `/api/v1/namespaces/${NAMESPACE}`);
    await waitUntilGone(`/api/v1/namespaces/${NAMESPACE}`);
    // The zone killed at once (as a machine's processes are when its session ends), its record
    // of the machine now in a folder of its own, as when it ran from another data folder.
    await podWithEverything();
    const nodeDir = nodeLayout(zoneDir()).dir;
    killNode(nodeDir);
    const goneFolder = mkdtempSync(join(tmpdir(), "gone-zone-"));
    renameSync(nodeLayout(zoneDir()).hostStateFile, join(goneFolder, "host-state.json"));
    writeFileSync(HOST_OWNER_FILE, `${join(goneFolder, "host-state.json")}\n`);

    said.length = 0;
    await zoneUp({ say: (line) => (said.push(line), say(line)) });
    expect(said.join("\n")).toMatch(
      /no longer runs left .*the machine's settings as .*gone-zone-.* recorded them/,
    );
    await kubeSend("DELETE", `/api/v1/namespaces/${NAMESPACE}`);
    await waitUntilGone(`/api/v1/namespaces/${NAMESPACE}`);
    await zoneDown({ say });

    expect(hostDifferences(before, hostSnapshot())).toEqual([]);
  });
});

/** SIGKILL to the node's daemons, shims and containers, with no chance to clean up. */
function killNode(nodeDir: string): void {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, "utf8");
      if (cmdline.includes(`${nodeDir}/`) || /:\/kubepods(\/|$)/m.test(cgroup))
        process.kill(Number(entry), "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
}
