/**
 * The local zone's ingress controller: follows Ingresses (of the zone's class), Services,
 * EndpointSlices and TLS Secrets, and keeps Caddy's configuration equal to what they ask for.
 * Started detached by `npm run zone:up`, beside Caddy:
 *   node --import tsx localzone/ingress/controller.ts <kubeconfig> <context> <zoneDir>
 */
import { pathToFileURL } from "node:url";
import { kubeAccessFromKubeconfig, kubeRequest, type KubeAccess } from "../zone/kube.js";
import { caddyAdmin, type CaddyAdmin } from "./caddy-admin.js";
import {
  caddyConfig,
  caddySettings,
  canonicalJson,
  configShape,
  type CaddySettings,
} from "./caddy-config.js";
import { describeChanges } from "./changes.js";
import { statusUpdates, type StatusUpdate } from "./ingress-status.js";
import { kubeWatchTransport } from "./kube-watch.js";
import type { EndpointSlice, Ingress, Secret, Service } from "./objects.js";
import { Reflector, type WatchTransport } from "./reflector.js";
import { routingTable, type RoutingTable } from "./routing.js";
import { CADDY_ADMIN_URL, INGRESS_ADDRESS, INGRESS_CLASS, INGRESS_PORTS } from "./settings.js";
import { serveUpstreamDns, upstreamRecords } from "./upstream-dns.js";

export interface ControllerOptions {
  readonly transport: WatchTransport;
  readonly admin: CaddyAdmin;
  /** Publishes one Ingress's status (a merge patch of its status subresource). */
  readonly writeStatus: (update: StatusUpdate) => Promise<void>;
  readonly settings: CaddySettings;
  /** IngressClass served. */
  readonly className: string;
  readonly log: (line: string) => void;
  /** A burst of changes is loaded once this long after its last change... Default 100 ms. */
  readonly quietMs?: number;
  /** ...or this long after its first, whichever comes first. Default 1 s. */
  readonly maxWaitMs?: number;
  /** How often Caddy's running configuration is compared with the last one loaded. Default 5 s. */
  readonly checkEveryMs?: number;
  /** Pause before loading again after Caddy refused or could not be reached. Default 2 s. */
  readonly retryMs?: number;
}

/** Collections the controller watches. Only TLS Secrets: other Secrets are none of its business. */
export const WATCHED = {
  ingresses: "/apis/networking.k8s.io/v1/ingresses",
  services: "/api/v1/services",
  endpointSlices: "/apis/discovery.k8s.io/v1/endpointslices",
  secrets: "/api/v1/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls",
} as const;

export class IngressController {
  private readonly ingresses: Reflector<Ingress>;
  private readonly services: Reflector<Service>;
  private readonly endpointSlices: Reflector<EndpointSlice>;
  private readonly secrets: Reflector<Secret>;
  private timer: NodeJS.Timeout | undefined;
  private firstPending: number | undefined;
  private syncing = false;
  private again = false;
  /** Canonical text of the configuration Caddy was last given successfully... */
  private loaded: string | undefined;
  /** ...and its shape (without the pods' addresses, which the upstream DNS serves). */
  private loadedShape: string | undefined;
  private records: ReadonlyMap<string, readonly string[]> = new Map();
  private table: RoutingTable | undefined;
  private caddyDown = false;
  /** Configurations loaded so far. */
  loads = 0;

  constructor(private readonly options: ControllerOptions) {
    const reflector = <T extends Ingress | Service | EndpointSlice | Secret>(path: string): Reflector<T> =>
      new Reflector<T>(options.transport, { path, onChange: () => this.schedule(), log: options.log });
    this.ingresses = reflector(WATCHED.ingresses);
    this.services = reflector(WATCHED.services);
    this.endpointSlices = reflector(WATCHED.endpointSlices);
    this.secrets = reflector(WATCHED.secrets);
  }

  /** Watches, loads and checks until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const check = setInterval(() => void this.checkCaddy(), this.options.checkEveryMs ?? 5000);
    signal.addEventListener("abort", () => {
      clearInterval(check);
      clearTimeout(this.timer);
    });
    await Promise.all(
      [this.ingresses, this.services, this.endpointSlices, this.secrets].map((r) => r.run(signal)),
    );
  }

  /** What the upstream DNS answers: the pods of every backend, as of the last sync. */
  upstreamRecords(): ReadonlyMap<string, readonly string[]> {
    return this.records;
  }

  private get synced(): boolean {
    return this.ingresses.synced && this.services.synced && this.endpointSlices.synced && this.secrets.synced;
  }

  /** Loads soon: after `quietMs` without change, at most `maxWaitMs` after the first change. */
  private schedule(delayMs?: number): void {
    if (!this.synced) return;
    const now = Date.now();
    this.firstPending ??= now;
    const quiet = this.options.quietMs ?? 100;
    const latest = this.firstPending + (this.options.maxWaitMs ?? 1000);
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => void this.sync(),
      delayMs ?? Math.max(0, Math.min(now + quiet, latest) - now),
    );
  }

  private async sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    this.firstPending = undefined;
    try {
      const view = {
        ingresses: this.ingresses.values(),
        services: this.services.values(),
        endpointSlices: this.endpointSlices.values(),
        secrets: this.secrets.values(),
      };
      const table = routingTable(view, this.options.className);
      const config = caddyConfig(table, this.options.settings);
      const shape = configShape(config);
      // New pods are served at once through the upstream DNS, and a new configuration can name
      // only backends the DNS already knows.
      this.records = upstreamRecords(table);
      const changes = describeChanges(this.table, table);
      if (shape !== this.loadedShape) {
        const started = Date.now();
        await this.options.admin.load(config);
        this.loaded = canonicalJson(config);
        this.loadedShape = shape;
        this.loads += 1;
        this.caddyDown = false;
        for (const line of changes) this.options.log(line);
        const paths = table.hosts.reduce((n, h) => n + h.paths.length, 0);
        this.options.log(
          `caddy: loaded ${table.hosts.length} host(s), ${paths} path(s), ` +
            `${table.certificates.length} certificate(s) in ${Date.now() - started} ms`,
        );
      } else if (changes.length > 0) {
        for (const line of changes) this.options.log(line);
        if (changes.some((line) => !line.startsWith("!")))
          this.options.log("upstream dns: pods updated, no reload");
      }
      this.table = table;
      for (const update of statusUpdates(view.ingresses, table.served, this.options.className)) {
        await this.options.writeStatus(update);
        const address = update.ingress.map((i) => i.ip).join(",") || "none";
        this.options.log(`status ${update.namespace}/${update.name}: address ${address}`);
      }
    } catch (err) {
      this.options.log(`sync failed: ${err instanceof Error ? err.message : String(err)}`);
      this.schedule(this.options.retryMs ?? 2000);
    } finally {
      this.syncing = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }

  /** A restarted Caddy runs its first configuration again: notice and load ours. */
  private async checkCaddy(): Promise<void> {
    if (this.syncing || this.loaded === undefined) return;
    try {
      const running = canonicalJson(await this.options.admin.current());
      if (this.caddyDown) this.options.log("caddy: admin API answers again");
      this.caddyDown = false;
      if (running !== this.loaded) {
        this.options.log("caddy: its configuration is not the one loaded last (restarted?); loading again");
        this.loaded = undefined;
        this.loadedShape = undefined;
        this.schedule(0);
      }
    } catch (err) {
      if (!this.caddyDown) {
        this.options.log(`caddy: admin API unreachable: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.caddyDown = true;
    }
  }
}

/** Publishes an Ingress's status with a merge patch (an Ingress deleted meanwhile is fine). */
export function kubeStatusWriter(access: KubeAccess): (update: StatusUpdate) => Promise<void> {
  return async (update) => {
    const res = await kubeRequest(
      access,
      "PATCH",
      `/apis/networking.k8s.io/v1/namespaces/${update.namespace}/ingresses/${update.name}/status`,
      { status: { loadBalancer: { ingress: update.ingress } } },
      "application/merge-patch+json",
    );
    if (res.status !== 200 && res.status !== 404) {
      throw new Error(
        `status of ${update.namespace}/${update.name}: ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
  };
}

async function main(): Promise<void> {
  const [kubeconfig, context, zoneDir] = process.argv.slice(2);
  if (!kubeconfig || !context || !zoneDir) {
    throw new Error("usage: controller.ts <kubeconfig> <context> <zoneDir>");
  }
  const access = kubeAccessFromKubeconfig(kubeconfig, context);
  const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);
  log(`ingress controller for class ${INGRESS_CLASS} on ${access.server}, caddy ${CADDY_ADMIN_URL}`);
  const controller = new IngressController({
    transport: kubeWatchTransport(access),
    admin: caddyAdmin(CADDY_ADMIN_URL),
    writeStatus: kubeStatusWriter(access),
    settings: caddySettings(zoneDir),
    className: INGRESS_CLASS,
    log,
  });
  const dns = await serveUpstreamDns(
    INGRESS_ADDRESS,
    INGRESS_PORTS.upstreamDns,
    () => controller.upstreamRecords(),
    log,
  );
  const stop = new AbortController();
  process.on("SIGTERM", () => stop.abort());
  process.on("SIGINT", () => stop.abort());
  await controller.run(stop.signal);
  await dns.close();
  log("stopped");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
