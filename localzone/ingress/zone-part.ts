/**
 * The ingress as a part of the local zone: the IngressClass, Caddy and the controller as
 * detached processes (pid and log files beside the zone's other parts), and their status.
 */
import { Resolver } from "node:dns/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../paths.js";
import { applyObject, type KubeAccess } from "../zone/kube.js";
import {
  logFile,
  runningPid,
  startDetached,
  stopProcess,
  waitFor,
  type ProcessSpec,
} from "../zone/process.js";
import { servedHosts } from "./caddy-admin.js";
import { caddyConfig, caddySettings } from "./caddy-config.js";
import {
  CADDY_ADMIN_URL,
  INGRESS_ADDRESS,
  INGRESS_CLASS,
  INGRESS_CONTROLLER,
  INGRESS_PORTS,
} from "./settings.js";
import { UPSTREAM_ZONE } from "./upstream-dns.js";

/** A part's state as `zone:status` prints it (the shape of `PartStatus` in `zone.ts`). */
export interface IngressPartStatus {
  readonly name: string;
  readonly up: boolean;
  readonly pid?: number;
  readonly detail?: string;
  readonly log?: string;
}

export const CADDY_PART = "caddy";
export const CONTROLLER_PART = "ingress-controller";

/** Caddy's folder in the zone: its first configuration, storage and XDG homes. */
export function caddyDir(zoneDir: string): string {
  return join(zoneDir, "caddy");
}

/**
 * Caddy started with the configuration of an empty routing table (listeners, logging, storage,
 * admin API); the controller loads the routes through the admin API. The XDG homes keep
 * anything Caddy writes on its own under the zone folder.
 */
export function caddySpec(bin: string, zoneDir: string): ProcessSpec {
  const dir = caddyDir(zoneDir);
  return {
    name: CADDY_PART,
    command: bin,
    args: ["run", "--config", join(dir, "caddy.json")],
    env: {
      ...process.env,
      XDG_DATA_HOME: join(dir, "xdg-data"),
      XDG_CONFIG_HOME: join(dir, "xdg-config"),
    },
    cwd: dir,
  };
}

/** Writes the configuration Caddy starts with: an empty routing table. */
export function writeInitialCaddyConfig(zoneDir: string): void {
  const dir = caddyDir(zoneDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const empty = { hosts: [], certificates: [], served: new Map(), warnings: [] };
  writeFileSync(
    join(dir, "caddy.json"),
    `${JSON.stringify(caddyConfig(empty, caddySettings(zoneDir)), null, 2)}\n`,
  );
}

export function controllerSpec(kubeconfig: string, context: string, zoneDir: string): ProcessSpec {
  return {
    name: CONTROLLER_PART,
    command: process.execPath,
    args: [
      "--import",
      "tsx",
      join(repoRoot, "localzone", "ingress", "controller.ts"),
      kubeconfig,
      context,
      zoneDir,
    ],
    cwd: repoRoot,
  };
}

/** The IngressClass the zone's apps name; not the default class, so only Ingresses that ask are served. */
export async function ensureIngressClass(access: KubeAccess): Promise<void> {
  await applyObject(access, `/apis/networking.k8s.io/v1/ingressclasses/${INGRESS_CLASS}`, {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: {
      name: INGRESS_CLASS,
      annotations: { "ingressclass.kubernetes.io/is-default-class": "false" },
    },
    spec: { controller: INGRESS_CONTROLLER },
  });
}

/** Whether the controller's upstream DNS answers (NXDOMAIN for a name no backend has is an answer). */
async function upstreamDnsAnswers(): Promise<boolean> {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`${INGRESS_ADDRESS}:${INGRESS_PORTS.upstreamDns}`]);
  try {
    await resolver.resolve4(`status.${UPSTREAM_ZONE}`);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOTFOUND";
  }
}

async function adminAnswers(): Promise<boolean> {
  return (await servedHosts(CADDY_ADMIN_URL, "http")) !== undefined;
}

export interface StartIngressOptions {
  readonly zoneDir: string;
  readonly caddyBin: string;
  readonly access: KubeAccess;
  readonly kubeconfig: string;
  readonly context: string;
  readonly say: (line: string) => void;
  readonly timeoutMs: number;
}

function ensureRunning(zoneDir: string, spec: ProcessSpec, say: (line: string) => void): void {
  const pid = runningPid(zoneDir, spec.name, spec.command);
  if (pid !== undefined) {
    say(`  ${spec.name}: already running (pid ${pid})`);
    return;
  }
  const started = startDetached(zoneDir, spec);
  say(`  ${spec.name}: started (pid ${started}, log ${logFile(zoneDir, spec.name)})`);
}

/** Makes the IngressClass and starts Caddy, waits for its admin API, then starts the controller. */
export async function startIngress(opts: StartIngressOptions): Promise<void> {
  const { zoneDir, say } = opts;
  await ensureIngressClass(opts.access);
  writeInitialCaddyConfig(zoneDir);
  ensureRunning(zoneDir, caddySpec(opts.caddyBin, zoneDir), say);
  await waitFor("caddy's admin API", adminAnswers, {
    timeoutMs: opts.timeoutMs,
    say,
    logHint: logFile(zoneDir, CADDY_PART),
  });
  ensureRunning(zoneDir, controllerSpec(opts.kubeconfig, opts.context, zoneDir), say);
}

/** Stops the controller, then Caddy. */
export async function stopIngress(
  zoneDir: string,
  caddyBin: string,
  say: (line: string) => void,
): Promise<void> {
  const controller = await stopProcess(zoneDir, CONTROLLER_PART, process.execPath);
  say(`  ${CONTROLLER_PART}: ${controller ? "stopped" : "not running"}`);
  const caddy = await stopProcess(zoneDir, CADDY_PART, caddyBin);
  say(`  ${CADDY_PART}: ${caddy ? "stopped" : "not running"}`);
}

/** Caddy (running, admin API answering, hosts served) and the controller (running), with log paths. */
export async function ingressStatus(zoneDir: string, caddyBin: string): Promise<IngressPartStatus[]> {
  const caddyPid = runningPid(zoneDir, CADDY_PART, caddyBin);
  const http = caddyPid === undefined ? undefined : await servedHosts(CADDY_ADMIN_URL, "http");
  const https = caddyPid === undefined ? undefined : await servedHosts(CADDY_ADMIN_URL, "https");
  const accessLog = `access log ${caddySettings(zoneDir).accessLog}`;
  const caddyLog = logFile(zoneDir, CADDY_PART);
  const caddy: IngressPartStatus =
    caddyPid === undefined
      ? { name: CADDY_PART, up: false, detail: accessLog, log: caddyLog }
      : {
          name: CADDY_PART,
          up: http !== undefined,
          pid: caddyPid,
          log: caddyLog,
          detail:
            http === undefined
              ? `admin API ${CADDY_ADMIN_URL} does not answer; ${accessLog}`
              : `${http.length} host(s) on http://127.0.0.1:${INGRESS_PORTS.http}, ` +
                `${https?.length ?? 0} on https://127.0.0.1:${INGRESS_PORTS.https}; ${accessLog}`,
        };
  const controllerPid = runningPid(zoneDir, CONTROLLER_PART, process.execPath);
  const controllerLog = logFile(zoneDir, CONTROLLER_PART);
  const dns = `upstream DNS ${caddySettings(zoneDir).upstreamResolver}/udp`;
  const answers = controllerPid !== undefined && (await upstreamDnsAnswers());
  const detail = `class ${INGRESS_CLASS}, ${dns}${controllerPid !== undefined && !answers ? " does not answer" : ""}`;
  const controller: IngressPartStatus =
    controllerPid === undefined
      ? { name: CONTROLLER_PART, up: false, detail, log: controllerLog }
      : { name: CONTROLLER_PART, up: answers, pid: controllerPid, detail, log: controllerLog };
  return [caddy, controller];
}
