/**
 * The local zone's volume provisioner: this loop gives every pending claim of the zone's
 * StorageClass a PersistentVolume pre-bound to it (the controller manager then binds the pair),
 * and deletes the volumes whose claims are gone. While the real node runs (a volumes folder is
 * given), a volume is a `local` volume: a folder of its own under the node's folder, which the
 * kubelet mounts into the claim's pods; otherwise kwok's nodes mount nothing and the volume
 * points nowhere. Started detached by `npm run zone:up`:
 *   node --import tsx localzone/volume-provisioner.ts <kubeconfig> <context> <storageClass> [volumesDir]
 */
import { mkdirSync, rmSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { kubeAccessFromKubeconfig, kubeRequest, type KubeAccess } from "./zone/kube.js";
import { REAL_NODE_LABEL } from "./zone/node/network.js";

export const PROVISIONER_NAME = "pluskube.dev/local-zone";

interface Claim {
  metadata: { name: string; namespace: string; uid: string };
  spec: {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string };
}

interface Volume {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { local?: { path?: string } };
  status?: { phase?: string };
}

/**
 * Where a volume's data lives. On the real node: a folder under `volumesDir`, open to any user
 * (the pod's user is whatever its image says, and a `local` volume without an fsGroup keeps the
 * folder's owner), reachable only through the claim since the zone's folder is root's alone.
 * Its size is the claim's request, not a limit: a `local` volume is as big as its disk. The
 * volume may also land on a simulated node (kwok mounts nothing), so its node affinity names
 * both kinds of node.
 */
export function volumeSource(name: string, volumesDir: string | undefined): object {
  if (volumesDir === undefined) {
    // Never mounted: kwok's pods only pretend to run.
    return { hostPath: { path: `/nonexistent/pluskube/${name}` } };
  }
  return {
    local: { path: join(volumesDir, name) },
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [
          {
            matchExpressions: [{ key: REAL_NODE_LABEL.key, operator: "In", values: [REAL_NODE_LABEL.value] }],
          },
          { matchExpressions: [{ key: "type", operator: "In", values: ["kwok"] }] },
        ],
      },
    },
  };
}

interface List<T> {
  items: T[];
}

/** One pass: provision pending claims, delete released volumes. Returns what it did. */
export async function reconcileVolumes(
  access: KubeAccess,
  storageClass: string,
  volumesDir?: string,
): Promise<string[]> {
  const done: string[] = [];
  const claims = await kubeRequest<List<Claim>>(access, "GET", "/api/v1/persistentvolumeclaims");
  for (const claim of claims.body.items ?? []) {
    if (claim.spec.storageClassName !== storageClass || claim.spec.volumeName) continue;
    if (claim.status?.phase !== "Pending") continue;
    const name = `pvc-${claim.metadata.uid}`;
    if (volumesDir !== undefined) {
      mkdirSync(join(volumesDir, name), { recursive: true });
      chmodSync(join(volumesDir, name), 0o777);
    }
    const volume = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER_NAME } },
      spec: {
        capacity: { storage: claim.spec.resources?.requests?.storage ?? "1Gi" },
        accessModes: claim.spec.accessModes ?? ["ReadWriteOnce"],
        volumeMode: claim.spec.volumeMode ?? "Filesystem",
        persistentVolumeReclaimPolicy: "Delete",
        storageClassName: storageClass,
        claimRef: {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          namespace: claim.metadata.namespace,
          name: claim.metadata.name,
          uid: claim.metadata.uid,
        },
        ...volumeSource(name, volumesDir),
      },
    };
    const res = await kubeRequest(access, "POST", "/api/v1/persistentvolumes", volume);
    if (res.status === 201)
      done.push(`provisioned ${name} for ${claim.metadata.namespace}/${claim.metadata.name}`);
  }
  const volumes = await kubeRequest<List<Volume>>(access, "GET", "/api/v1/persistentvolumes");
  for (const volume of volumes.body.items ?? []) {
    const ours = volume.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] === PROVISIONER_NAME;
    const phase = volume.status?.phase;
    if (ours && (phase === "Released" || phase === "Failed")) {
      const res = await kubeRequest(access, "DELETE", `/api/v1/persistentvolumes/${volume.metadata.name}`);
      if (res.status === 200 || res.status === 202) {
        const path = volume.spec?.local?.path;
        if (volumesDir !== undefined && path?.startsWith(`${volumesDir}/`))
          rmSync(path, { recursive: true, force: true });
        done.push(`deleted ${volume.metadata.name}`);
      }
    }
  }
  return done;
}

async function main(): Promise<void> {
  const [kubeconfig, context, storageClass, volumesDir] = process.argv.slice(2);
  if (!kubeconfig || !context || !storageClass) {
    throw new Error("usage: volume-provisioner.ts <kubeconfig> <context> <storageClass> [volumesDir]");
  }
  if (volumesDir !== undefined) mkdirSync(volumesDir, { recursive: true, mode: 0o700 });
  const access = kubeAccessFromKubeconfig(kubeconfig, context);
  console.log(
    `volume provisioner for StorageClass ${storageClass} on ${access.server}` +
      (volumesDir ? `, local volumes under ${volumesDir}` : ", simulated volumes"),
  );
  let stopping = false;
  process.on("SIGTERM", () => (stopping = true));
  process.on("SIGINT", () => (stopping = true));
  while (!stopping) {
    try {
      for (const line of await reconcileVolumes(access, storageClass, volumesDir)) console.log(line);
    } catch (err) {
      console.error(`reconcile failed: ${String(err)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
