import { existsSync, mkdirSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { loadZone } from "../zones/index.js";
import type { ZoneSpec } from "../spec/zone.js";
import { dataDir, repoRoot, resolveZonePath, zoneDir } from "./paths.js";
import { withLock } from "./zone/lock.js";
import { toolchainPaths } from "./toolchain.js";
import {
  APISERVER_URL,
  apiserverSpec,
  controllerManagerSpec,
  ensureClusterObjects,
  etcdSpec,
  fakeNodesReady,
  kwokSpec,
  PORTS,
  schedulerSpec,
} from "./zone/control-plane.js";
import { kubeAccessFromKubeconfig, kubeRequest, type KubeAccess } from "./zone/kube.js";
import { ensurePki, writeKubeconfig } from "./zone/pki.js";
import {
  ensurePostgresCluster,
  postgresLayout,
  postgresPid,
  postgresReady,
  startPostgres,
  stopPostgres,
} from "./zone/postgres.js";
import {
  logFile,
  runningPid,
  startDetached,
  stopProcess,
  waitFor,
  type ProcessSpec,
} from "./zone/process.js";
import { hardenZonePostgres, SERVICE_ROLE, servicePasswordFile } from "./zone/service-database.js";
import { ensureS3Admin, masterPort, s3Port, seaweedSpec } from "./zone/seaweedfs.js";
import { ingressStatus, startIngress, stopIngress } from "./ingress/zone-part.js";

export type Say = (line: string) => void;

export interface ZoneOptions {
  readonly say?: Say;
}

export interface PartStatus {
  readonly name: string;
  readonly up: boolean;
  readonly pid?: number;
  readonly detail?: string;
  /** The part's log file. */
  readonly log?: string;
}

/** The local zone as `zones/local.yaml` declares it, with its paths resolved. */
export function localZone(): ZoneSpec {
  const zone = loadZone("local");
  if (!zone.kubeconfig) throw new Error("zones/local.yaml must name a kubeconfig");
  return zone;
}

/** RuntimeClass that routes a pod to the zone's simulated (kwok) nodes, made by `zoneUp`. */
export const SIMULATED_RUNTIME_CLASS = "pluskube-simulated";

/**
 * The local zone with its apps routed to kwok's simulated nodes: for tests and benchmarks that
 * deploy many apps, or images this offline machine cannot pull, and only need the objects to exist.
 * Its pods never run: what they prove stops at the API server.
 */
export function simulatedZone(zone: ZoneSpec = localZone()): ZoneSpec {
  return { ...zone, runtimeClass: SIMULATED_RUNTIME_CLASS };
}

export function localKubeconfig(zone: ZoneSpec = localZone()): string {
  return resolveZonePath(zone.kubeconfig ?? "~/.local/share/pluskube/localzone/kubeconfig");
}

/** Held while the zone is being started or stopped (beside the zone folder, which purge removes). */
function zoneLockDir(): string {
  return join(dataDir(), "localzone.lock");
}

/** The parts started as plain processes, in start order (Postgres is run by pg_ctl). */
const PROCESS_PARTS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "volume-provisioner",
  "seaweedfs",
] as const;

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

async function apiserverReady(access: KubeAccess): Promise<boolean> {
  const res = await kubeRequest(access, "GET", "/readyz");
  return res.status === 200;
}

function requireBinary(path: string | undefined, component: string): string {
  if (!path || !existsSync(path)) {
    throw new Error(
      `${component} is not built (${path ?? "not found"}); run npm run toolchain -- ${component}`,
    );
  }
  return path;
}

/** Starts a process part unless it is already running; returns whether it was started. */
function ensureProcess(dir: string, spec: ProcessSpec, say: Say): boolean {
  const pid = runningPid(dir, spec.name, spec.command);
  if (pid !== undefined) {
    say(`  ${spec.name}: already running (pid ${pid})`);
    return false;
  }
  const started = startDetached(dir, spec);
  say(`  ${spec.name}: started (pid ${started}, log ${logFile(dir, spec.name)})`);
  return true;
}

function volumeProvisionerSpec(kubeconfig: string, zone: ZoneSpec): ProcessSpec {
  return {
    name: "volume-provisioner",
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      join(repoRoot, "localzone", "volume-provisioner.ts"),
      kubeconfig,
      zone.context ?? "pluskube-local",
      zone.storageClass,
    ],
    cwd: repoRoot,
  };
}

/**
 * Starts every part of the local zone that is not running yet and waits until all are ready:
 * etcd, the control plane, kwok with its fake nodes, the default StorageClass and its
 * provisioner, PostgreSQL and SeaweedFS. Safe to run again while the zone is up.
 */
export async function zoneUp(opts: ZoneOptions = {}): Promise<void> {
  await withLock(zoneLockDir(), () => startZone(opts));
}

async function startZone(opts: ZoneOptions): Promise<void> {
  const say = opts.say ?? ((line: string) => console.log(line));
  const started = Date.now();
  const zone = localZone();
  const dir = zoneDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const bins = toolchainPaths();
  const kubeconfig = localKubeconfig(zone);
  const context = zone.context ?? "pluskube-local";
  const timeoutMs = 120_000;

  say(`local zone: ${dir}`);
  const pki = ensurePki(dir);
  writeKubeconfig(kubeconfig, pki, APISERVER_URL, context);
  const access = kubeAccessFromKubeconfig(kubeconfig, context);

  ensureProcess(dir, etcdSpec(requireBinary(bins.etcd, "etcd"), dir), say);
  await waitFor(
    "etcd",
    async () => (await httpStatus(`http://127.0.0.1:${PORTS.etcdClient}/health`)) === 200,
    {
      timeoutMs,
      say,
      logHint: logFile(dir, "etcd"),
    },
  );

  ensureProcess(dir, apiserverSpec(requireBinary(bins.kubeApiserver, "kube-apiserver"), pki), say);
  await waitFor("kube-apiserver", () => apiserverReady(access), {
    timeoutMs,
    say,
    logHint: logFile(dir, "kube-apiserver"),
  });

  const cm = requireBinary(bins.kubeControllerManager, "kube-controller-manager");
  ensureProcess(dir, controllerManagerSpec(cm, pki, kubeconfig), say);
  ensureProcess(dir, schedulerSpec(requireBinary(bins.kubeScheduler, "kube-scheduler"), kubeconfig), say);
  ensureProcess(
    dir,
    kwokSpec(requireBinary(bins.kwok, "kwok"), requireBinary(bins.kwokStages, "kwok"), kubeconfig),
    say,
  );
  ensureProcess(dir, volumeProvisionerSpec(kubeconfig, zone), say);

  say(`  cluster objects: ${zone.nodes ?? 1} fake node(s), StorageClass ${zone.storageClass}`);
  await ensureClusterObjects(access, zone);
  await waitFor("kwok to report the fake nodes Ready", () => fakeNodesReady(access, zone), {
    timeoutMs,
    say,
    logHint: logFile(dir, "kwok"),
  });
  await waitFor(
    "the default ServiceAccount (controller manager)",
    async () =>
      (await kubeRequest(access, "GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
    { timeoutMs, say, logHint: logFile(dir, "kube-controller-manager") },
  );

  // --- ingress: Caddy and its controller (localzone/ingress) ---
  await startIngress({
    zoneDir: dir,
    caddyBin: requireBinary(bins.node.caddy, "caddy"),
    access,
    kubeconfig,
    context,
    say,
    timeoutMs,
  });
  // --- end ingress ---

  const pgBin = requireBinary(bins.postgresBinDir, "postgresql");
  const pg = postgresLayout(pgBin, dir);
  ensurePostgresCluster(zone, pg, dir);
  const pgPid = postgresPid(pg);
  if (pgPid === undefined) {
    startPostgres(zone, pg);
    say(`  postgres: started on ${zone.postgres.host}:${zone.postgres.port} (log ${pg.logFile})`);
  } else {
    say(`  postgres: already running (pid ${pgPid})`);
  }
  await waitFor("postgres", async () => postgresReady(zone, pg), { timeoutMs, say, logHint: pg.logFile });
  // Tenants' roles share this server: they must not reach its own databases, nor the service's.
  await hardenZonePostgres(zone);
  say(`  postgres: postgres and template1 closed to PUBLIC; service role ${SERVICE_ROLE} ready`);

  const admin = ensureS3Admin(zone);
  ensureProcess(dir, seaweedSpec(requireBinary(bins.weed, "seaweedfs"), zone, dir, admin), say);
  await waitFor(
    "seaweedfs S3",
    async () => (await httpStatus(`http://127.0.0.1:${s3Port(zone)}/healthz`)) === 200,
    { timeoutMs, say, logHint: logFile(dir, "seaweedfs") },
  );
  say(`local zone up in ${Math.round((Date.now() - started) / 1000)}s; KUBECONFIG=${kubeconfig}`);
}

/** Status of every part: whether its process runs and, for servers, whether it answers. */
export async function zoneStatus(): Promise<PartStatus[]> {
  const zone = localZone();
  const dir = zoneDir();
  const bins = toolchainPaths();
  const commands: Record<(typeof PROCESS_PARTS)[number], string> = {
    etcd: bins.etcd,
    "kube-apiserver": bins.kubeApiserver,
    "kube-controller-manager": bins.kubeControllerManager,
    "kube-scheduler": bins.kubeScheduler,
    kwok: bins.kwok,
    "volume-provisioner": process.execPath,
    seaweedfs: bins.weed,
  };
  const parts: PartStatus[] = [];
  for (const name of PROCESS_PARTS) {
    const pid = runningPid(dir, name, commands[name]);
    parts.push(pid === undefined ? { name, up: false } : { name, up: true, pid });
  }
  if (bins.postgresBinDir) {
    const pg = postgresLayout(bins.postgresBinDir, dir);
    const pid = postgresPid(pg);
    const ready = pid !== undefined && postgresReady(zone, pg);
    parts.push(
      pid === undefined
        ? { name: "postgres", up: false }
        : { name: "postgres", up: ready, pid, detail: `${zone.postgres.host}:${zone.postgres.port}` },
    );
  } else {
    parts.push({ name: "postgres", up: false, detail: "PostgreSQL is not installed" });
  }
  // --- ingress ---
  parts.push(...(await ingressStatus(dir, bins.node.caddy)));
  // --- end ingress ---
  return parts.map((p) => {
    if (p.name === "kube-apiserver" && p.up) return { ...p, detail: APISERVER_URL };
    if (p.name === "seaweedfs" && p.up)
      return { ...p, detail: `${zone.s3.endpoint} (master 127.0.0.1:${masterPort(zone)})` };
    return p;
  });
}

/** Stops every part (reverse start order). With `purge`, also deletes the zone's data. */
export async function zoneDown(opts: ZoneOptions & { readonly purge?: boolean } = {}): Promise<void> {
  await withLock(zoneLockDir(), () => stopZone(opts));
}

async function stopZone(opts: ZoneOptions & { readonly purge?: boolean }): Promise<void> {
  const say = opts.say ?? ((line: string) => console.log(line));
  const zone = localZone();
  const dir = zoneDir();
  const bins = toolchainPaths();
  const stop = async (name: string, command: string, graceMs?: number): Promise<void> => {
    const stopped = await stopProcess(dir, name, command, graceMs);
    say(`  ${name}: ${stopped ? "stopped" : "not running"}`);
  };
  const stopPostgresPart = async (): Promise<void> => {
    if (!bins.postgresBinDir) return;
    const pg = postgresLayout(bins.postgresBinDir, dir);
    say(`  postgres: ${stopPostgres(pg) ? "stopped" : "not running"}`);
    if (opts.purge && pg.runAs) rmSync(join(pg.dir, ".."), { recursive: true, force: true });
  };
  // Everything that only talks to the apiserver stops together; then the apiserver, then etcd.
  await Promise.all([
    // SeaweedFS drains for a long time on SIGTERM; its data is flushed well before that.
    stop("seaweedfs", bins.weed, 5_000),
    stopPostgresPart(),
    stop("volume-provisioner", process.execPath),
    stopIngress(dir, bins.node.caddy, say), // ingress (localzone/ingress)
    stop("kwok", bins.kwok),
    stop("kube-scheduler", bins.kubeScheduler),
    stop("kube-controller-manager", bins.kubeControllerManager),
  ]);
  await stop("kube-apiserver", bins.kubeApiserver);
  await stop("etcd", bins.etcd);
  if (opts.purge) {
    rmSync(dir, { recursive: true, force: true });
    for (const file of [zone.postgres.passwordFile, zone.s3.adminAccessKeyFile, zone.s3.adminSecretKeyFile]) {
      rmSync(resolveZonePath(file), { force: true });
    }
    rmSync(servicePasswordFile(), { force: true });
    rmSync(localKubeconfig(zone), { force: true });
    say(`  purged ${dir}`);
  }
}
