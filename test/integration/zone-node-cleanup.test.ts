/**
 * `zone:down` leaves nothing of the real node on the machine: no process, mount, network
 * namespace, link, iptables rule or chain, ipset, cgroup, kernel setting or folder. The test
 * takes the zone down (the suite's global setup started it), reads the machine, starts the zone
 * with a pod that holds a volume, a Service and a NetworkPolicy (so that there is one of each
 * kind of trace), takes it down again and compares. It leaves the zone up for the files after
 * it; the run holds the machine-wide lock, so no other run uses the zone meanwhile.
 */
import { afterAll, describe, expect, it } from "vitest";
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
});
