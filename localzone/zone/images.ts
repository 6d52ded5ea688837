import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { LocalImage } from "../images.js";

const run = promisify(execFile);

/** containerd's namespace of the images and containers the kubelet (CRI) uses. */
export const CRI_NAMESPACE = "k8s.io";

/**
 * The label that makes the CRI plugin report an image as pinned, so the kubelet's image
 * garbage collection never deletes it: the zone cannot pull its own images back.
 */
export const PINNED_LABEL = "io.cri-containerd.pinned=pinned";

export interface ImportImagesOptions {
  /** containerd namespace; default `k8s.io`, the CRI plugin's. */
  readonly namespace?: string;
  /** Snapshotter to unpack into; default containerd's (`overlayfs`), which the CRI plugin uses too. */
  readonly snapshotter?: string;
  /** Receives a line per imported image. */
  readonly say?: (line: string) => void;
}

/** What an import did with each image. */
export interface ImportImagesResult {
  /** Refs that were missing or held another digest, and were imported. */
  readonly imported: readonly string[];
  /** Refs containerd already held at the same digest. */
  readonly present: readonly string[];
}

/** containerd's images in a namespace, ref to manifest digest (`ctr images ls`). */
export async function listImages(
  ctrPath: string,
  containerdSocket: string,
  namespace: string = CRI_NAMESPACE,
): Promise<Map<string, string>> {
  const { stdout } = await run(ctrPath, [
    "--address",
    containerdSocket,
    "--namespace",
    namespace,
    "images",
    "ls",
  ]);
  const images = new Map<string, string>();
  // REF TYPE DIGEST SIZE PLATFORMS LABELS; the header names the columns, the size has a space.
  for (const line of stdout.split("\n").slice(1)) {
    const [ref, , digest] = line.trim().split(/\s+/);
    if (ref && digest?.startsWith("sha256:")) images.set(ref, digest);
  }
  return images;
}

/**
 * Imports into the node's containerd each image it lacks, or holds under the same ref at
 * another digest (an image rebuilt by a newer Go), unpacked and labelled pinned. Fails
 * naming the image when containerd does not list it at its digest afterwards.
 */
export async function importImages(
  ctrPath: string,
  containerdSocket: string,
  images: readonly LocalImage[],
  opts: ImportImagesOptions = {},
): Promise<ImportImagesResult> {
  const namespace = opts.namespace ?? CRI_NAMESPACE;
  const before = await listImages(ctrPath, containerdSocket, namespace);
  const imported: string[] = [];
  const present: string[] = [];
  for (const image of images) {
    if (before.get(image.ref) === image.digest) {
      present.push(image.ref);
      continue;
    }
    const args = [
      "--address",
      containerdSocket,
      "--namespace",
      namespace,
      "images",
      "import",
      "--platform",
      "linux/amd64",
      "--label",
      PINNED_LABEL,
      ...(opts.snapshotter ? ["--snapshotter", opts.snapshotter] : []),
      image.tar,
    ];
    try {
      await run(ctrPath, args);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw new Error(`importing ${image.ref} from ${image.tar} failed: ${stderr || String(err)}`);
    }
    opts.say?.(`imported ${image.ref} (${image.digest})`);
    imported.push(image.ref);
  }
  if (imported.length > 0) {
    const after = await listImages(ctrPath, containerdSocket, namespace);
    for (const image of images) {
      const digest = after.get(image.ref);
      if (digest !== image.digest) {
        throw new Error(
          `containerd lists ${image.ref} at ${digest ?? "nothing"} after importing ${image.tar}, ` +
            `expected ${image.digest}`,
        );
      }
    }
  }
  return { imported, present };
}
