import { join } from "node:path";
import type { ZoneSpec } from "../../spec/zone.js";
import { bytes, cpuMillis } from "../../spec/quantity.js";
import { PROVISIONER_NAME } from "../volume-provisioner.js";
import { applyObject, kubeRequest, type KubeAccess } from "./kube.js";
import { FRONT_PROXY_CLIENT, type Identity, type Pki } from "./pki.js";
import type { ProcessSpec } from "./process.js";
import { NODE_NAME, SIMULATED_POD_CIDR } from "./node/network.js";

/** Loopback ports of the control plane (the zone file holds those of Postgres and S3). */
export const PORTS = {
  etcdClient: 12379,
  etcdPeer: 12380,
  etcdMetrics: 12381,
  apiserver: 16443,
  controllerManager: 16444,
  scheduler: 16445,
  kwok: 16446,
} as const;

export const APISERVER_URL = `https://127.0.0.1:${PORTS.apiserver}`;

/**
 * The admission plugins the design requires, so the cluster itself refuses what it should, and
 * NodeRestriction, which keeps a node's credentials to its own Node object and pods.
 */
export const ADMISSION_PLUGINS =
  "NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,PodSecurity,NodeRestriction";

/** Annotation kwok selects the fake nodes it manages by. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
}

export function etcdSpec(bin: string, zoneDir: string): ProcessSpec {
  const client = `http://127.0.0.1:${PORTS.etcdClient}`;
  const peer = `http://127.0.0.1:${PORTS.etcdPeer}`;
  return {
    name: "etcd",
    command: bin,
    args: [
      "--name=pluskube-local",
      `--data-dir=${join(zoneDir, "etcd")}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=pluskube-local=${peer}`,
      `--listen-metrics-urls=http://127.0.0.1:${PORTS.etcdMetrics}`,
      // A throwaway development cluster: no fsync on every write keeps tests fast.
      "--unsafe-no-fsync",
      "--quota-backend-bytes=2147483648",
      "--log-level=warn",
    ],
  };
}

/**
 * The API server. `kubeletClient` is its client certificate towards kubelets (logs, exec,
 * port-forward); it reaches a node at the node's InternalIP, the only address a kubelet serves on.
 */
export function apiserverSpec(bin: string, pki: Pki, kubeletClient: Identity): ProcessSpec {
  return {
    name: "kube-apiserver",
    command: bin,
    args: [
      `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${PORTS.apiserver}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.96.0.0/16",
      // Node: a kubelet may read and write only what its own pods need.
      "--authorization-mode=Node,RBAC",
      `--kubelet-client-certificate=${kubeletClient.cert}`,
      `--kubelet-client-key=${kubeletClient.key}`,
      "--kubelet-preferred-address-types=InternalIP",
      `--enable-admission-plugins=${ADMISSION_PLUGINS}`,
      // As kubeadm and k3s set it: whether a privileged container may run is decided per
      // namespace by Pod Security admission. Without it validation refuses every privileged
      // container cluster-wide and a tenant namespace's `restricted` label is never what stops one.
      "--allow-privileged=true",
      // The apiserver listens on loopback only, which an Endpoints object may not hold.
      "--endpoint-reconciler-type=none",
      ...aggregationFlags(pki),
      "--profiling=false",
      "--v=0",
    ],
  };
}

/**
 * The aggregation layer, which serves APIs of extension API servers (metrics-server's
 * `metrics.k8s.io`) under the API server's own address: it proxies each request with the
 * caller's user and groups in `X-Remote-*` headers over a connection made with the front proxy's
 * client certificate, which the extension server checks against the front proxy CA that the API
 * server publishes in `kube-system/extension-apiserver-authentication`.
 * `--enable-aggregator-routing` sends those requests to the extension's endpoint address rather
 * than its Service's cluster IP: the API server runs on the host, outside the Service network.
 */
export function aggregationFlags(pki: Pki): string[] {
  return [
    `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    "--requestheader-username-headers=X-Remote-User",
    "--requestheader-group-headers=X-Remote-Group",
    "--requestheader-extra-headers-prefix=X-Remote-Extra-",
    `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
    `--proxy-client-key-file=${pki.frontProxyClientKey}`,
    "--enable-aggregator-routing=true",
  ];
}

export function controllerManagerSpec(bin: string, pki: Pki, kubeconfig: string): ProcessSpec {
  return {
    name: "kube-controller-manager",
    command: bin,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${PORTS.controllerManager}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      "--leader-elect=false",
      "--allocate-node-cidrs=false",
      "--controllers=*,-nodeipam",
      "--profiling=false",
    ],
  };
}

export function schedulerSpec(bin: string, kubeconfig: string): ProcessSpec {
  return {
    name: "kube-scheduler",
    command: bin,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${PORTS.scheduler}`,
      "--leader-elect=false",
      "--profiling=false",
    ],
  };
}

export function kwokSpec(bin: string, stages: string, kubeconfig: string): ProcessSpec {
  return {
    name: "kwok",
    command: bin,
    args: [
      `--config=${stages}`,
      `--kubeconfig=${kubeconfig}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      // Not the real node's pod network: a simulated pod must never share a real pod's address,
      // or NetworkPolicies (which match pods by address) would confuse the two.
      `--cidr=${SIMULATED_POD_CIDR}`,
      "--node-ip=10.0.0.1",
      `--server-address=127.0.0.1:${PORTS.kwok}`,
      // The heartbeat stage updates a node's status only every ~10 minutes and counts on a
      // renewed Lease in between (as kwokctl runs it); without one the node controller marks
      // the nodes NotReady after its grace period and takes their pods' readiness with them.
      "--node-lease-duration-seconds=40",
    ],
  };
}

export function fakeNodeName(i: number): string {
  return `kwok-node-${i}`;
}

/** Node objects for kwok: the zone's capacity split evenly between `nodes` fake nodes. */
export function fakeNodes(zone: ZoneSpec): object[] {
  const count = zone.nodes ?? 1;
  const cpu = cpuMillis(zone.capacity.cpu);
  const memory = bytes(zone.capacity.memory);
  const disk = bytes(zone.capacity.disk);
  if (cpu === undefined || memory === undefined || disk === undefined) {
    throw new Error("zone capacity must hold cpu, memory and disk quantities");
  }
  const share = {
    cpu: `${Math.floor(cpu / count)}m`,
    memory: `${Math.floor(memory / count / 1024)}Ki`,
    "ephemeral-storage": `${Math.floor(disk / count / 1024)}Ki`,
    pods: "110",
  };
  return Array.from({ length: count }, (_, i) => {
    const name = fakeNodeName(i);
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "node-role.kubernetes.io/agent": "",
          "topology.kubernetes.io/zone": zone.name,
          type: "kwok",
        },
      },
      spec: {},
      status: {
        allocatable: share,
        capacity: share,
        nodeInfo: {
          architecture: "amd64",
          operatingSystem: "linux",
          kubeletVersion: "fake",
          kubeProxyVersion: "fake",
        },
        phase: "Running",
      },
    };
  });
}

/** RuntimeClass that routes a pod to the zone's simulated (kwok) nodes, made by `zoneUp`. */
export const SIMULATED_RUNTIME_CLASS = "pluskube-simulated";

/** The taint simulated nodes carry while the real node runs, so apps land on the real node. */
export const SIMULATED_TAINT = {
  key: "pluskube.dev/simulated",
  value: "true",
  effect: "NoSchedule",
} as const;

interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

/**
 * Adds or removes the simulated taint of one fake node, keeping the taints others set (the node
 * controller's `not-ready`); the resourceVersion makes a concurrent change (kwok updates a node
 * it has just taken over) fail rather than vanish, and the change is tried again.
 */
async function setSimulatedTaint(access: KubeAccess, name: string, tainted: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const status = await trySimulatedTaint(access, name, tainted);
    if (status !== 409 || attempt === 10) {
      if (status !== 200) throw new Error(`tainting node ${name}: ${status}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One attempt of `setSimulatedTaint`: 200 when done or nothing to do, else the API's status. */
async function trySimulatedTaint(access: KubeAccess, name: string, tainted: boolean): Promise<number> {
  const node = await kubeRequest<{ metadata: { resourceVersion: string }; spec?: { taints?: Taint[] } }>(
    access,
    "GET",
    `/api/v1/nodes/${name}`,
  );
  if (node.status !== 200)
    throw new Error(`reading node ${name}: ${node.status} ${JSON.stringify(node.body)}`);
  const others = (node.body.spec?.taints ?? []).filter((t) => t.key !== SIMULATED_TAINT.key);
  const has = others.length !== (node.body.spec?.taints ?? []).length;
  if (has === tainted) return 200;
  const res = await kubeRequest(
    access,
    "PATCH",
    `/api/v1/nodes/${name}`,
    {
      metadata: { resourceVersion: node.body.metadata.resourceVersion },
      spec: { taints: tainted ? [...others, SIMULATED_TAINT] : others },
    },
    "application/merge-patch+json",
  );
  return res.status;
}

/**
 * Which nodes the zone's cluster objects are for: kwok's simulated nodes, the real node, or
 * both (then the simulated ones are tainted and reached through the RuntimeClass).
 */
export interface ClusterNodes {
  readonly simulated: boolean;
  readonly real: boolean;
}

/**
 * Fake nodes (tainted while the real node runs, deleted when the zone runs the real node only)
 * and the RuntimeClass that routes pods to them, the default StorageClass, and the namespace
 * the zone's ingress traffic comes from.
 */
export async function ensureClusterObjects(
  access: KubeAccess,
  zone: ZoneSpec,
  nodes: ClusterNodes,
): Promise<void> {
  for (const node of fakeNodes(zone)) {
    const name = (node as { metadata: { name: string } }).metadata.name;
    const existing = await kubeRequest(access, "GET", `/api/v1/nodes/${name}`);
    if (!nodes.simulated) {
      if (existing.status === 200) await kubeRequest(access, "DELETE", `/api/v1/nodes/${name}`);
      continue;
    }
    if (existing.status === 404) {
      const res = await kubeRequest(access, "POST", "/api/v1/nodes", node);
      if (res.status !== 201 && res.status !== 409) {
        throw new Error(`creating node ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    await setSimulatedTaint(access, name, nodes.real);
  }
  if (!nodes.real) {
    // A zone without its real node shows no stale one; the kubelet registers it again.
    await kubeRequest(access, "DELETE", `/api/v1/nodes/${NODE_NAME}`);
  }
  const runtimeClass = `/apis/node.k8s.io/v1/runtimeclasses/${SIMULATED_RUNTIME_CLASS}`;
  if (nodes.simulated) {
    await applyObject(access, runtimeClass, {
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name: SIMULATED_RUNTIME_CLASS },
      // Never run: kwok's pods only pretend to. The handler names the real node's runtime so
      // that the class is valid wherever a pod lands.
      handler: "runc",
      scheduling: {
        nodeSelector: { type: "kwok" },
        tolerations: [{ ...SIMULATED_TAINT, operator: "Equal" }],
      },
    });
  } else {
    // A pod asking for simulated nodes is refused by name rather than left Pending.
    await kubeRequest(access, "DELETE", runtimeClass);
  }
  await applyObject(access, `/apis/storage.k8s.io/v1/storageclasses/${zone.storageClass}`, {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: zone.storageClass,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: PROVISIONER_NAME,
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
    allowVolumeExpansion: true,
  });
  await applyObject(access, `/api/v1/namespaces/${zone.ingressNamespace}`, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: zone.ingressNamespace,
      labels: { "kubernetes.io/metadata.name": zone.ingressNamespace },
    },
  });
}

/** Whether every fake node reports Ready (kwok has taken them over). */
export async function fakeNodesReady(access: KubeAccess, zone: ZoneSpec): Promise<boolean> {
  const count = zone.nodes ?? 1;
  for (let i = 0; i < count; i++) {
    const res = await kubeRequest<{ status?: { conditions?: { type: string; status: string }[] } }>(
      access,
      "GET",
      `/api/v1/nodes/${fakeNodeName(i)}`,
    );
    const ready = res.body.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    if (res.status !== 200 || !ready) return false;
  }
  return true;
}
