import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ZoneSpec } from "../../spec/zone.js";
import { resolveZonePath } from "../paths.js";
import { ensureSecretFile } from "./postgres.js";
import type { ProcessSpec } from "./process.js";

/** Loopback ports of SeaweedFS besides the S3 port and the master (both in the zone file). */
export const SEAWEED_PORTS = { volume: 18080, filer: 18888 } as const;

export interface S3Admin {
  readonly accessKey: string;
  readonly secretKey: string;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** The S3 admin key pair, generated once into the files the zone file names (mode 0600). */
export function ensureS3Admin(zone: ZoneSpec): S3Admin {
  const accessKey = ensureSecretFile(resolveZonePath(zone.s3.adminAccessKeyFile), () => {
    const bytes = randomBytes(18);
    return "PK" + Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join("");
  });
  const secretKey = ensureSecretFile(resolveZonePath(zone.s3.adminSecretKeyFile), () =>
    randomBytes(30).toString("base64url"),
  );
  return { accessKey, secretKey };
}

function port(url: string): number {
  const parsed = new URL(url.includes("://") ? url : `http://${url}`);
  return Number(parsed.port);
}

export function s3Port(zone: ZoneSpec): number {
  return port(zone.s3.endpoint);
}

export function masterPort(zone: ZoneSpec): number {
  return zone.s3.shellMaster ? port(zone.s3.shellMaster) : 19333;
}

/**
 * `weed server` with master, volume, filer and S3 (with its IAM API writable) in one process,
 * all on loopback. S3 takes one bind address only: while the real node runs, pods reach it on
 * the node address, so it binds every address (`s3Bind` 0.0.0.0) and the node's host guard
 * keeps other interfaces from its port.
 */
export function seaweedSpec(
  bin: string,
  zone: ZoneSpec,
  zoneDir: string,
  admin: S3Admin,
  s3Bind = "127.0.0.1",
): ProcessSpec {
  const dir = join(zoneDir, "seaweedfs");
  mkdirSync(dir, { recursive: true });
  return {
    name: "seaweedfs",
    command: bin,
    args: [
      "server",
      `-dir=${dir}`,
      "-ip=127.0.0.1",
      "-ip.bind=127.0.0.1",
      `-master.port=${masterPort(zone)}`,
      "-master.volumeSizeLimitMB=64",
      `-volume.port=${SEAWEED_PORTS.volume}`,
      "-volume.max=200",
      "-filer",
      `-filer.port=${SEAWEED_PORTS.filer}`,
      "-s3",
      `-s3.port=${s3Port(zone)}`,
      `-s3.ip.bind=${s3Bind}`,
      "-s3.iam.readOnly=false",
      "-s3.port.iceberg=0",
      "-s3.port.lance=0",
      `-s3.localSocket=${join(dir, "s3.sock")}`,
      `-filer.localSocket=${join(dir, "filer.sock")}`,
    ],
    // With no IAM configuration yet, SeaweedFS takes its admin identity from these.
    env: { ...process.env, AWS_ACCESS_KEY_ID: admin.accessKey, AWS_SECRET_ACCESS_KEY: admin.secretKey },
    cwd: dir,
  };
}
