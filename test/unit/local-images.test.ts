import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IMAGES_COMPONENT,
  LOCAL_IMAGE_SOURCES,
  imageSourcesDir,
  imageTag,
  imagesManifestPath,
  localImages,
  plannedImages,
  type LocalImage,
} from "../../localzone/images.js";
import { ensureToolchain } from "../../localzone/toolchain.js";
import { binaryPath, goEnv } from "../../localzone/toolchain/build.js";
import { components, type GoComponent } from "../../localzone/toolchain/components.js";
import { readTar, type TarEntry } from "./support/tar.js";

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
  readonly platform?: { readonly os: string; readonly architecture: string };
}

interface ImageConfig {
  readonly os: string;
  readonly architecture: string;
  readonly created: string;
  readonly rootfs: { readonly diff_ids: readonly string[] };
  readonly config: {
    readonly User: string;
    readonly Entrypoint: readonly string[];
    readonly ExposedPorts?: Record<string, object>;
    readonly WorkingDir?: string;
  };
}

const sha256 = (data: Buffer): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** An image's archive read back: its index, manifest, config and the files of its one layer. */
function openArchive(image: LocalImage) {
  const entries = readTar(readFileSync(image.tar));
  const file = (name: string): TarEntry => {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new Error(`${image.tar} has no ${name}`);
    return entry;
  };
  const blob = (digest: string): Buffer => file(`blobs/sha256/${digest.replace("sha256:", "")}`).body;
  const index = JSON.parse(file("index.json").body.toString()) as { manifests: Descriptor[] };
  const entry = index.manifests[0];
  if (!entry) throw new Error("index.json lists no manifest");
  const manifestBlob = blob(entry.digest);
  const manifest = JSON.parse(manifestBlob.toString()) as { config: Descriptor; layers: Descriptor[] };
  const config = JSON.parse(blob(manifest.config.digest).toString()) as ImageConfig;
  const layerBlob = blob(manifest.layers[0]?.digest ?? "");
  const layerTar = gunzipSync(layerBlob);
  return { entries, file, blob, index, entry, manifestBlob, manifest, config, layerBlob, layerTar };
}

describe("the zone's local images", () => {
  let images: LocalImage[];

  beforeAll(async () => {
    // Builds the image builder and the images when the cache lacks them (about a minute cold).
    const result = await ensureToolchain({ only: [IMAGES_COMPONENT], say: () => undefined });
    expect(result.failed).toEqual([]);
    images = localImages();
  }, 600_000);

  it("are every image of localzone/images, the pod sandbox first", () => {
    expect(images.map((i) => i.name)).toEqual(LOCAL_IMAGE_SOURCES.map((s) => s.name));
    expect(images[0]?.name).toBe("pause");
  });

  it("are named pluskube.local/<name>:<tag>, the tag a 12-digit hash", () => {
    for (const image of images) {
      expect(image.ref).toMatch(/^pluskube\.local\/[a-z]+:[0-9a-f]{12}$/);
      expect(image.ref).toBe(`pluskube.local/${image.name}:${image.tag}`);
    }
  });

  it("are listed in the manifest with their refs, tars and digests", () => {
    const manifest = JSON.parse(readFileSync(imagesManifestPath(), "utf8")) as { images: LocalImage[] };
    expect(manifest.images.map((i) => [i.ref, i.tar, i.digest])).toEqual(
      images.map((i) => [i.ref, i.tar, i.digest]),
    );
  });

  describe("tags", () => {
    let scratch: string;
    const echo = LOCAL_IMAGE_SOURCES.find((s) => s.name === "echo");

    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), "pluskube-image-tag-"));
    });

    afterAll(() => {
      rmSync(scratch, { recursive: true, force: true });
    });

    it("stay the same for the same sources", () => {
      expect(plannedImages()).toEqual(plannedImages());
    });

    it("do not depend on where the sources are", () => {
      if (!echo) throw new Error("no echo image");
      const copy = join(scratch, "same");
      cpSync(join(imageSourcesDir, "echo"), copy, { recursive: true });
      expect(imageTag(echo, copy)).toBe(imageTag(echo));
    });

    it("change when a source file changes", () => {
      if (!echo) throw new Error("no echo image");
      const copy = join(scratch, "edited");
      cpSync(join(imageSourcesDir, "echo"), copy, { recursive: true });
      writeFileSync(join(copy, "main.go"), readFileSync(join(copy, "main.go"), "utf8") + "\n// edited\n");
      expect(imageTag(echo, copy)).not.toBe(imageTag(echo));
    });

    it("change when the declared ports change", () => {
      if (!echo) throw new Error("no echo image");
      expect(imageTag({ ...echo, ports: ["9090/tcp"] })).not.toBe(imageTag(echo));
    });
  });

  describe.each(LOCAL_IMAGE_SOURCES.map((s) => s.name))("the %s archive", (name) => {
    let image: LocalImage;
    let archive: ReturnType<typeof openArchive>;

    beforeAll(() => {
      const found = images.find((i) => i.name === name);
      if (!found) throw new Error(`no image ${name}`);
      image = found;
      archive = openArchive(image);
    });

    it("is an OCI image layout whose index names the image for containerd", () => {
      expect(JSON.parse(archive.file("oci-layout").body.toString())).toEqual({ imageLayoutVersion: "1.0.0" });
      expect(archive.index.manifests).toHaveLength(1);
      expect(archive.entry.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
      expect(archive.entry.annotations?.["io.containerd.image.name"]).toBe(image.ref);
      expect(archive.entry.annotations?.["org.opencontainers.image.ref.name"]).toBe(image.tag);
      expect(archive.entry.platform).toEqual({ os: "linux", architecture: "amd64" });
    });

    it("holds blobs named by their digests, the manifest's being the image digest", () => {
      for (const e of archive.entries.filter((x) => x.name.startsWith("blobs/sha256/") && x.type === "0")) {
        expect(sha256(e.body)).toBe(`sha256:${e.name.slice("blobs/sha256/".length)}`);
      }
      expect(sha256(archive.manifestBlob)).toBe(image.digest);
      expect(archive.entry.digest).toBe(image.digest);
      expect(archive.manifest.layers).toHaveLength(1);
      expect(archive.manifest.layers[0]?.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
      expect(archive.config.rootfs.diff_ids).toEqual([sha256(archive.layerTar)]);
    });

    it("runs its binary as the numeric non-root user 65532", () => {
      expect(archive.config.config.User).toBe("65532:65532");
      expect(archive.config.config.Entrypoint).toEqual([`/${name}`]);
      expect(archive.config.os).toBe("linux");
      expect(archive.config.architecture).toBe("amd64");
    });

    it("declares the ports its program listens on", () => {
      const source = LOCAL_IMAGE_SOURCES.find((s) => s.name === name);
      expect(Object.keys(archive.config.config.ExposedPorts ?? {})).toEqual(source?.ports);
    });

    it("has fixed timestamps, so rebuilding changes no digest", () => {
      expect(archive.config.created).toBe("1970-01-01T00:00:00Z");
      expect(new Set(archive.entries.map((e) => e.mtime))).toEqual(new Set([0]));
      expect(new Set(readTar(archive.layerTar).map((e) => e.mtime))).toEqual(new Set([0]));
    });

    it("has one layer: the binary owned by root, the user's passwd entry, and a sticky /tmp", () => {
      const files = readTar(archive.layerTar);
      const byName = new Map(files.map((f) => [f.name, f]));
      const binary = byName.get(name);
      expect(binary?.mode).toBe(0o755);
      expect(binary?.uid).toBe(0);
      expect(binary?.body.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
      expect(byName.get("etc/passwd")?.body.toString()).toContain("nonroot:x:65532:65532:");
      expect(byName.get("etc/group")?.body.toString()).toContain("nonroot:x:65532:");
      expect(byName.get("tmp/")?.mode).toBe(0o1777);
      expect(files.map((f) => f.name).sort()).toEqual(
        ["etc/", "etc/group", "etc/passwd", "home/", "home/nonroot/", "tmp/", name].sort(),
      );
    });
  });

  it("rebuilds byte for byte the same archive", () => {
    const builder = components().find(
      (c): c is GoComponent => c.kind === "go" && c.name === IMAGES_COMPONENT,
    );
    if (!builder) throw new Error("no images component");
    const pause = images.find((i) => i.name === "pause");
    if (!pause) throw new Error("no pause image");
    const out = mkdtempSync(join(tmpdir(), "pluskube-image-rebuild-"));
    try {
      const tar = join(out, "pause.tar");
      execFileSync(
        binaryPath(builder),
        ["-name", "pause", "-src", join(imageSourcesDir, "pause"), "-tag", pause.tag, "-out", tar],
        { env: goEnv(), stdio: "ignore" },
      );
      expect(readFileSync(tar).equals(readFileSync(pause.tar))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    // The builder compiles the image's Go program: a second alone, several beside other test files.
  }, 60_000);
});
