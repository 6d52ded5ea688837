/**
 * The local zone's volume provisioner. kwok's nodes mount nothing, so no real provisioner is
 * needed: this loop gives every pending claim of the zone's StorageClass a PersistentVolume
 * pre-bound to it (the controller manager then binds the pair), and deletes the volumes whose
 * claims are gone. Started detached by `npm run zone:up`:
 *   node --import tsx localzone/volume-provisioner.ts <kubeconfig> <context> <storageClass>
 */
import { pathToFileURL } from "node:url";
import { kubeAccessFromKubeconfig, kubeRequest, type KubeAccess } from "./zone/kube.js";

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
  status?: { phase?: string };
}

interface List<T> {
  items: T[];
}

/** One pass: provision pending claims, delete released volumes. Returns what it did. */
export async function reconcileVolumes(access: KubeAccess, storageClass: string): Promise<string[]> {
  const done: string[] = [];
  const claims = await kubeRequest<List<Claim>>(access, "GET", "/api/v1/persistentvolumeclaims");
  for (const claim of claims.body.items ?? []) {
    if (claim.spec.storageClassName !== storageClass || claim.spec.volumeName) continue;
    if (claim.status?.phase !== "Pending") continue;
    const name = `pvc-${claim.metadata.uid}`;
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
        // Never mounted: kwok's pods only pretend to run.
        hostPath: { path: `/nonexistent/pluskube/${name}` },
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
      if (res.status === 200 || res.status === 202) done.push(`deleted ${volume.metadata.name}`);
    }
  }
  return done;
}

async function main(): Promise<void> {
  const [kubeconfig, context, storageClass] = process.argv.slice(2);
  if (!kubeconfig || !context || !storageClass) {
    throw new Error("usage: volume-provisioner.ts <kubeconfig> <context> <storageClass>");
  }
  const access = kubeAccessFromKubeconfig(kubeconfig, context);
  console.log(`volume provisioner for StorageClass ${storageClass} on ${access.server}`);
  let stopping = false;
  process.on("SIGTERM", () => (stopping = true));
  process.on("SIGINT", () => (stopping = true));
  while (!stopping) {
    try {
      for (const line of await reconcileVolumes(access, storageClass)) console.log(line);
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
