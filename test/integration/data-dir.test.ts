/**
 * PLUSKUBE_DATA_DIR moves everything the local zone keeps, and a project run follows it: with
 * the variable set and the home folder empty, a project with a database and a bucket (whose
 * stack reads the zone's kubeconfig, PostgreSQL password and S3 keys) still deploys and goes.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDir, resolveZonePath } from "../../localzone/paths.js";
import { simulatedZone } from "../../localzone/zone.js";
import { ProjectStack, uniqueProject } from "./helpers/project-stack.js";

const zone = simulatedZone();
const project = uniqueProject("it-datadir");
const ZONE_FILES = [
  zone.kubeconfig ?? "",
  zone.postgres.passwordFile,
  zone.s3.adminAccessKeyFile,
  zone.s3.adminSecretKeyFile,
];
const ENV_KEYS = ["HOME", "PLUSKUBE_DATA_DIR", "PLUSKUBE_CACHE_DIR"] as const;

describe("a project run with PLUSKUBE_DATA_DIR set", () => {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const moved = mkdtempSync(join(tmpdir(), "pluskube-data-"));
  const emptyHome = mkdtempSync(join(tmpdir(), "pluskube-home-"));
  let stack: ProjectStack | undefined;

  beforeAll(() => {
    // The zone keeps running where it is; its files are copied to where the variable points.
    mkdirSync(join(moved, "localzone"), { recursive: true });
    for (const file of ZONE_FILES) {
      const from = resolveZonePath(file);
      copyFileSync(from, join(moved, "localzone", from.split("/").pop() ?? ""));
    }
    process.env["PLUSKUBE_CACHE_DIR"] = cacheDir();
    process.env["PLUSKUBE_DATA_DIR"] = moved;
    // Nothing may be read from the default folder under the home folder.
    process.env["HOME"] = emptyHome;
  });

  afterAll(async () => {
    await stack?.dispose();
    for (const key of ENV_KEYS) Reflect.deleteProperty(process.env, key);
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
    rmSync(moved, { recursive: true, force: true });
    rmSync(emptyHome, { recursive: true, force: true });
  });

  it("reads the zone's files from the data folder and deploys", async () => {
    const spec = {
      project,
      zone: zone.name,
      databases: [{ name: "main", sizeGB: 1 }],
      buckets: [{ name: "files", sizeGB: 1 }],
    };
    stack = await ProjectStack.create(spec, zone);

    const up = await stack.up(spec);

    expect(up.outputs["namespace"]).toBe(project);
    expect(Object.keys(up.outputs["databaseSecrets"] as object)).toEqual(["main"]);
    expect(Object.keys(up.outputs["bucketSecrets"] as object)).toEqual(["files"]);
  });
});
