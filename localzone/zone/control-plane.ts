import { join } from "node:path";
import type { ZoneSpec } from "../../spec/zone.js";
import { bytes, cpuMillis } from "../../spec/quantity.js";
import { PROVISIONER_NAME } from "../volume-provisioner.js";
import { applyObject, kubeRequest, type KubeAccess } from "./kube.js";
import type { Pki } from "./pki.js";
import type { ProcessSpec } from "./process.js";

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

/** The admission plugins the design requires, so the cluster itself refuses what it should. */
export const ADMISSION_PLUGINS = "NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,PodSecurity";

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

export function apiserverSpec(bin: string, pki: Pki): ProcessSpec {
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
      "--authorization-mode=RBAC",
      `--enable-admission-plugins=${ADMISSION_PLUGINS}`,
      // As kubeadm and k3s set it: whether a privileged container may run is decided per
      // namespace by Pod Security admission. Without it validation refuses every privileged
      // container cluster-wide and a tenant namespace's `restricted` label is never what stops one.
      "--allow-privileged=true",
      // The apiserver listens on loopback only, which an Endpoints object may not hold.
      "--endpoint-reconciler-type=none",
      "--profiling=false",
      "--v=0",
    ],
  };
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
      "--cidr=10.244.0.0/16",
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

/** Fake nodes, the default StorageClass, and the namespace the zone's ingress traffic comes from. */
export async function ensureClusterObjects(access: KubeAccess, zone: ZoneSpec): Promise<void> {
  for (const node of fakeNodes(zone)) {
    const name = (node as { metadata: { name: string } }).metadata.name;
    const existing = await kubeRequest(access, "GET", `/api/v1/nodes/${name}`);
    if (existing.status === 404) {
      const res = await kubeRequest(access, "POST", "/api/v1/nodes", node);
      if (res.status !== 201 && res.status !== 409) {
        throw new Error(`creating node ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
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
