import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
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
  SIMULATED_RUNTIME_CLASS,
} from "./zone/control-plane.js";
import { kubeAccessFromKubeconfig, kubeRequest, type KubeAccess } from "./zone/kube.js";
import { localImage, localImages } from "./images.js";
import { importImages } from "./zone/images.js";
import { ensurePki, writeKubeconfig } from "./zone/pki.js";
import {
  ensurePostgresCluster,
  podAccessRules,
  postgresLayout,
  postgresListenAddresses,
  postgresPid,
  postgresReady,
  restartPostgres,
  setPodAccess,
  startPostgres,
  stopPostgres,
} from "./zone/postgres.js";
import {
  ensureProcess,
  logFile,
  requireBinary,
  runningPid,
  stopProcess,
  waitFor,
  type ProcessSpec,
} from "./zone/process.js";
import { ensureApiserverKubeletClient } from "./zone/node/identities.js";
import { nodeLayout } from "./zone/node/layout.js";
import { removeMetricsApi } from "./zone/node/metrics-server.js";
import { localNodesMode, runsRealNode, runsSimulatedNodes } from "./zone/node/mode.js";
import { NODE_IP, POD_CIDR } from "./zone/node/network.js";
import {
  nodeStatus,
  prepareNodeHost,
  startNode,
  stopNode,
  completeNode,
  nodeRunning,
  type NodeImages,
  type NodeStart,
  type NodeStarted,
} from "./zone/node/node.js";
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

export { SIMULATED_RUNTIME_CLASS };

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

function volumeProvisionerSpec(
  kubeconfig: string,
  zone: ZoneSpec,
  volumesDir: string | undefined,
): ProcessSpec {
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
      ...(volumesDir ? [volumesDir] : []),
    ],
    cwd: repoRoot,
  };
}

/** Whether a running process was started with exactly `args` (its command line after the program). */
function sameArguments(pid: number, args: readonly string[]): boolean {
  try {
    const running = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(1, -1);
    return running.length === args.length && running.every((arg, i) => arg === args[i]);
  } catch {
    return true;
  }
}

/** The zone's images as the real node takes them: built by the toolchain, imported into containerd. */
function nodeImages(): NodeImages {
  return {
    sandbox: localImage("pause").ref,
    importInto: async (ctr, socket, say) => {
      await importImages(ctr, socket, localImages(), { say });
    },
  };
}

/**
 * Starts every part of the local zone that is not running yet and waits until all are ready:
 * etcd, the control plane, kwok with its fake nodes, the real node (containerd, kubelet,
 * kube-proxy, CoreDNS, kube-router, metrics-server), the default StorageClass and its provisioner, PostgreSQL
 * and SeaweedFS. Which nodes run follows `localNodes` (see `localNodesMode`). Safe to run again
 * while the zone is up.
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
  const mode = localNodesMode(zone);
  const real = runsRealNode(mode);
  const simulated = runsSimulatedNodes(mode);
  const timings: string[] = [];
  const timed = async (what: string, work: () => Promise<void>): Promise<void> => {
    const t = Date.now();
    await work();
    timings.push(`${what} ${((Date.now() - t) / 1000).toFixed(1)}s`);
  };

  say(`local zone: ${dir} (nodes: ${mode})`);
  const pki = ensurePki(dir);
  const kubeletClient = ensureApiserverKubeletClient(pki);
  writeKubeconfig(kubeconfig, pki, APISERVER_URL, context);
  const access = kubeAccessFromKubeconfig(kubeconfig, context);
  const layout = nodeLayout(dir);

  ensureProcess(dir, etcdSpec(requireBinary(bins.etcd, "etcd"), dir), say);
  await timed("etcd", () =>
    waitFor("etcd", async () => (await httpStatus(`http://127.0.0.1:${PORTS.etcdClient}/health`)) === 200, {
      timeoutMs,
      say,
      logHint: logFile(dir, "etcd"),
    }),
  );

  const apiserver = apiserverSpec(requireBinary(bins.kubeApiserver, "kube-apiserver"), pki, kubeletClient);
  // An API server started with other flags (a zone made before the aggregation layer) restarts.
  const apiserverPid = runningPid(dir, "kube-apiserver", bins.kubeApiserver);
  if (apiserverPid !== undefined && !sameArguments(apiserverPid, apiserver.args)) {
    await stopProcess(dir, "kube-apiserver", bins.kubeApiserver);
    say("  kube-apiserver: restarting with its new flags");
  }
  ensureProcess(dir, apiserver, say);
  await timed("kube-apiserver", () =>
    waitFor("kube-apiserver", () => apiserverReady(access), {
      timeoutMs,
      say,
      logHint: logFile(dir, "kube-apiserver"),
    }),
  );

  const cm = requireBinary(bins.kubeControllerManager, "kube-controller-manager");
  ensureProcess(dir, controllerManagerSpec(cm, pki, kubeconfig), say);
  ensureProcess(dir, schedulerSpec(requireBinary(bins.kubeScheduler, "kube-scheduler"), kubeconfig), say);
  if (simulated) {
    ensureProcess(
      dir,
      kwokSpec(requireBinary(bins.kwok, "kwok"), requireBinary(bins.kwokStages, "kwok"), kubeconfig),
      say,
    );
  } else if (await stopProcess(dir, "kwok", bins.kwok)) {
    say("  kwok: stopped (the zone runs its real node only)");
  }
  ensureProcess(dir, volumeProvisionerSpec(kubeconfig, zone, real ? layout.volumesDir : undefined), say);

  say(
    `  cluster objects: ${simulated ? `${zone.nodes ?? 1} fake node(s)${real ? " (tainted)" : ""}` : "no fake nodes"}, ` +
      `StorageClass ${zone.storageClass}`,
  );
  await ensureClusterObjects(access, zone, { simulated, real });

  // The node's address must exist before PostgreSQL and SeaweedFS listen on it; its processes
  // start now so that the kubelet registers while the databases start.
  const node: NodeStart | undefined = real
    ? {
        zoneDir: dir,
        zone,
        pki,
        access,
        apiserverUrl: APISERVER_URL,
        context,
        bins: bins.node,
        images: nodeImages(),
        say,
        timeoutMs,
      }
    : undefined;
  let nodeStarted: NodeStarted | undefined;
  if (!node && (nodeRunning(dir, bins.node) || existsSync(layout.hostStateFile))) {
    say("  the zone runs no real node now: stopping it");
    await stopNode(dir, bins.node, say);
  }
  // Resource metrics come from the real node's kubelet, through metrics-server.
  if (!node) await removeMetricsApi(access);
  if (node) {
    prepareNodeHost(dir, zone, say);
    await timed("node processes", async () => {
      nodeStarted = await startNode(node);
    });
  }

  if (simulated) {
    await timed("fake nodes", () =>
      waitFor("kwok to report the fake nodes Ready", () => fakeNodesReady(access, zone), {
        timeoutMs,
        say,
        logHint: logFile(dir, "kwok"),
      }),
    );
  }
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
  const listen = postgresListenAddresses(zone, real);
  const pgPid = postgresPid(pg);
  const clusterHost = real ? zone.postgres.clusterHost : undefined;
  if (pgPid === undefined) {
    startPostgres(zone, pg, listen);
    say(`  postgres: started on ${listen.join(", ")} port ${zone.postgres.port} (log ${pg.logFile})`);
  } else if (clusterHost && !postgresReady(zone, pg, clusterHost)) {
    restartPostgres(zone, pg, listen);
    say(`  postgres: restarted to listen on ${listen.join(", ")}`);
  } else {
    say(`  postgres: already running (pid ${pgPid})`);
  }
  await timed("postgres", () =>
    waitFor("postgres", async () => postgresReady(zone, pg), { timeoutMs, say, logHint: pg.logFile }),
  );
  // Tenants' roles share this server: they must not reach its own databases, nor the service's.
  await hardenZonePostgres(zone);
  say(`  postgres: postgres and template1 closed to PUBLIC; service role ${SERVICE_ROLE} ready`);
  if (setPodAccess(pg, real ? podAccessRules(zone, POD_CIDR, SERVICE_ROLE, NODE_IP) : undefined)) {
    say(`  postgres: pods ${real ? `(${POD_CIDR}) may reach their own databases` : "closed out"}`);
  }

  const admin = ensureS3Admin(zone);
  const weed = seaweedSpec(
    requireBinary(bins.weed, "seaweedfs"),
    zone,
    dir,
    admin,
    real ? "0.0.0.0" : "127.0.0.1",
  );
  // S3 binds every address only while the node's host guard keeps other interfaces out: a
  // server started for another node mode is restarted.
  const weedPid = runningPid(dir, "seaweedfs", bins.weed);
  if (weedPid !== undefined && !sameArguments(weedPid, weed.args)) {
    await stopProcess(dir, "seaweedfs", bins.weed, 5_000);
    say(`  seaweedfs: restarting to serve S3 on ${real ? "the node address too" : "loopback only"}`);
  }
  ensureProcess(dir, weed, say);
  await timed("seaweedfs", () =>
    waitFor(
      "seaweedfs S3",
      async () => (await httpStatus(`http://127.0.0.1:${s3Port(zone)}/healthz`)) === 200,
      { timeoutMs, say, logHint: logFile(dir, "seaweedfs") },
    ),
  );
  if (node && nodeStarted) {
    const took = await completeNode(node, nodeStarted);
    timings.push(...Object.entries(took).map(([what, seconds]) => `${what} ${seconds.toFixed(1)}s`));
  }
  say(`  timings: ${timings.join(", ")}`);
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
  const mode = localNodesMode(zone);
  const parts: PartStatus[] = [];
  for (const name of PROCESS_PARTS) {
    if (name === "kwok" && !runsSimulatedNodes(mode)) continue;
    const pid = runningPid(dir, name, commands[name]);
    const log = logFile(dir, name);
    parts.push(pid === undefined ? { name, up: false, log } : { name, up: true, pid, log });
  }
  if (bins.postgresBinDir) {
    const pg = postgresLayout(bins.postgresBinDir, dir);
    const pid = postgresPid(pg);
    const ready = pid !== undefined && postgresReady(zone, pg);
    parts.push(
      pid === undefined
        ? { name: "postgres", up: false, log: pg.logFile }
        : {
            name: "postgres",
            up: ready,
            pid,
            detail: `${postgresListenAddresses(zone, runsRealNode(mode)).join(", ")} port ${zone.postgres.port}`,
            log: pg.logFile,
          },
    );
  } else {
    parts.push({ name: "postgres", up: false, detail: "PostgreSQL is not installed" });
  }
  if (runsRealNode(mode)) {
    let access: KubeAccess | undefined;
    try {
      access = kubeAccessFromKubeconfig(localKubeconfig(zone), zone.context);
    } catch {
      // No kubeconfig yet: the node's registration is unknown.
    }
    parts.push(...(await nodeStatus(dir, access, bins.node)));
  }
  // --- ingress ---
  parts.push(...(await ingressStatus(dir, bins.node.caddy)));
  // --- end ingress ---
  return parts.map((p) => {
    if (p.name === "kube-apiserver" && p.up) return { ...p, detail: APISERVER_URL };
    if (p.name === "seaweedfs" && p.up) {
      const cluster = runsRealNode(mode) && zone.s3.clusterEndpoint ? ` and ${zone.s3.clusterEndpoint}` : "";
      return { ...p, detail: `${zone.s3.endpoint}${cluster} (master 127.0.0.1:${masterPort(zone)})` };
    }
    return p;
  });
}

/**
 * Removes the metrics API's registration while the API server still answers: metrics-server
 * stops with the node, and an APIService left behind would fail discovery (and namespace
 * deletion) for whatever starts the API server next, until `zone:up` brings metrics-server back.
 */
async function withdrawMetricsApi(zone: ZoneSpec, say: Say): Promise<void> {
  const kubeconfig = localKubeconfig(zone);
  if (!existsSync(kubeconfig)) return;
  try {
    const access = kubeAccessFromKubeconfig(kubeconfig, zone.context);
    if (!(await apiserverReady(access))) return;
    await removeMetricsApi(access);
    say("  metrics API: withdrawn");
  } catch (err) {
    say(`  metrics API: not withdrawn (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * Stops every part (reverse start order) and removes the real node's traces from the machine
 * (mounts, network namespaces, links, iptables rules, ipsets, cgroups, kernel settings). With
 * `purge`, also deletes the zone's data.
 */
export async function zoneDown(opts: ZoneOptions & { readonly purge?: boolean } = {}): Promise<void> {
  await withLock(zoneLockDir(), () => stopZone(opts));
}

async function stopZone(opts: ZoneOptions & { readonly purge?: boolean }): Promise<void> {
  const say = opts.say ?? ((line: string) => console.log(line));
  const started = Date.now();
  const zone = localZone();
  const dir = zoneDir();
  const bins = toolchainPaths();
  const stop = async (name: string, command: string, graceMs?: number): Promise<void> => {
    const stopped = await stopProcess(dir, name, command, graceMs);
    say(`  ${name}: ${stopped ? "stopped" : "not running"}`);
  };
  await withdrawMetricsApi(zone, say);
  // The node first: its parts talk to the API server, and its drain needs containerd.
  await stopNode(dir, bins.node, say);
  const nodeSeconds = (Date.now() - started) / 1000;
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
  say(
    `local zone down in ${((Date.now() - started) / 1000).toFixed(1)}s (the node ${nodeSeconds.toFixed(1)}s)`,
  );
}
