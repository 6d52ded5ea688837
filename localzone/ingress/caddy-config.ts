/**
 * The routing table as one Caddy JSON configuration (https://caddyserver.com/docs/json/), the
 * whole of what Caddy runs: it is loaded with `POST /load` and replaces the previous one. Pure.
 */
import { join } from "node:path";
import type { HostRoute, PathRoute, RoutingTable } from "./routing.js";
import { INGRESS_ADDRESS, INGRESS_PORTS } from "./settings.js";
import { upstreamHostname } from "./upstream-dns.js";

/** Where Caddy listens and keeps its files; the same for its first configuration and every later one. */
export interface CaddySettings {
  /** `host:port` of the admin API. */
  readonly adminListen: string;
  readonly httpListen: string;
  readonly httpsListen: string;
  /** Caddy's storage (locks, anything a module keeps); nothing is fetched into it. */
  readonly storageDir: string;
  /** Access log file (Caddy rolls it). */
  readonly accessLog: string;
  /** `host:port` (UDP) of the controller's upstream DNS. */
  readonly upstreamResolver: string;
}

/** The local zone's settings: loopback ports, files under the zone folder. */
export function caddySettings(zoneDir: string): CaddySettings {
  return {
    adminListen: `${INGRESS_ADDRESS}:${INGRESS_PORTS.admin}`,
    httpListen: `${INGRESS_ADDRESS}:${INGRESS_PORTS.http}`,
    httpsListen: `${INGRESS_ADDRESS}:${INGRESS_PORTS.https}`,
    storageDir: join(zoneDir, "caddy", "data"),
    accessLog: join(zoneDir, "logs", "caddy-access.log"),
    upstreamResolver: `${INGRESS_ADDRESS}:${INGRESS_PORTS.upstreamDns}`,
  };
}

/** How the reverse proxy rides out a rollout: see `proxyHandler`. */
export const PROXY_TUNING = {
  /** Tries stop after this long... */
  tryDuration: "5s",
  /** ...or this many retries, whichever comes first. */
  retries: 10,
  /** Pause between tries (Caddy's default once retries are on). */
  tryInterval: "250ms",
  /** A failed upstream is skipped for this long (passive health check). */
  failDuration: "2s",
  /** A pod's address answers or refuses at once on this machine; a gone pod's address times out. */
  dialTimeout: "1s",
  /** How long requests of a replaced configuration may take to finish. */
  gracePeriod: "120s",
  /** How long Caddy keeps the pods of a backend before asking the upstream DNS again. */
  upstreamRefresh: "1s",
} as const;

/** Tag no certificate carries: a handshake for a name without a certificate fails. */
const NO_CERTIFICATE = "pluskube-no-certificate";

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

/** Caddy's configuration document (typed loosely: Caddy checks it when it loads). */
export type CaddyConfig = JsonObject;

/** Go RE2 syntax for a literal string, as Go's `regexp.QuoteMeta`. */
export function quoteRegexp(literal: string): string {
  return literal.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/**
 * Caddy's `path_regexp` for a path: case-sensitive as the Ingress API wants (Caddy's `path`
 * matcher is not), tested against the cleaned path, a prefix only at a `/` boundary.
 */
export function pathPattern(route: Pick<PathRoute, "match" | "path">): string {
  if (route.match === "Exact") return `^${quoteRegexp(route.path)}$`;
  if (route.path === "/") return "^/";
  return `^${quoteRegexp(route.path)}(/.*)?$`;
}

function textResponse(status: number, body: string, headers: Record<string, string[]> = {}): JsonObject {
  return {
    handler: "static_response",
    status_code: status,
    headers: { "Content-Type": ["text/plain; charset=utf-8"], ...headers },
    body,
  };
}

/**
 * Where a path's requests go: the pods the upstream DNS names for its backend (a lookup per
 * container port, cached for `upstreamRefresh`), or, if that DNS does not answer, the pods as they
 * were when the configuration was loaded.
 */
export function upstreamSources(route: PathRoute, settings: CaddySettings): JsonObject {
  const ports = [...new Set(route.upstreams.map((dial) => Number(dial.split(":")[1])))].sort((a, b) => a - b);
  const sources = ports.map((port) => ({
    source: "a",
    name: upstreamHostname(route.upstreamName ?? "", port),
    port: String(port),
    refresh: PROXY_TUNING.upstreamRefresh,
    resolver: { addresses: [settings.upstreamResolver] },
    versions: { ipv4: true },
  }));
  return {
    upstreams: route.upstreams.map((dial) => ({ dial })),
    dynamic_upstreams: sources.length === 1 && sources[0] ? sources[0] : { source: "multi", sources },
  };
}

/**
 * Round-robin over the pods with retries: a request that meets a refused or timed-out
 * connection (a pod that just stopped, before its endpoint left the upstream DNS) is tried on
 * the next pod, and the failed one is skipped for `failDuration`. Requests that already reached
 * a pod are retried only if they are GETs (Caddy's rule), since the pod may have acted on them.
 * Caddy sets X-Forwarded-For, -Proto and -Host itself (replacing what a client sent).
 */
export function proxyHandler(route: PathRoute, settings: CaddySettings): JsonObject {
  return {
    handler: "reverse_proxy",
    ...upstreamSources(route, settings),
    transport: { protocol: "http", dial_timeout: PROXY_TUNING.dialTimeout },
    load_balancing: {
      selection_policy: { policy: "round_robin" },
      retries: PROXY_TUNING.retries,
      try_duration: PROXY_TUNING.tryDuration,
      try_interval: PROXY_TUNING.tryInterval,
    },
    health_checks: { passive: { fail_duration: PROXY_TUNING.failDuration, max_fails: 1 } },
    headers: {
      request: {
        set: {
          "X-Forwarded-Port": ["{http.request.local.port}"],
          "X-Real-Ip": ["{http.request.remote.host}"],
        },
      },
    },
  };
}

function pathRoute(route: PathRoute, settings: CaddySettings): JsonObject {
  const handler =
    route.upstreams.length > 0
      ? proxyHandler(route, settings)
      : textResponse(503, `503 ${route.unavailable ?? "no endpoints"}\n`, { "Retry-After": ["5"] });
  const everything = route.match === "Prefix" && route.path === "/";
  return {
    ...(everything ? {} : { match: [{ path_regexp: { pattern: pathPattern(route) } }] }),
    handle: [handler],
    terminal: true,
  };
}

function hostRoute(host: HostRoute, settings: CaddySettings): JsonObject {
  return {
    match: [{ host: [host.host] }],
    handle: [
      {
        handler: "subroute",
        routes: [
          ...host.paths.map((route) => pathRoute(route, settings)),
          { handle: [textResponse(404, "404 no Ingress path matches\n")] },
        ],
      },
    ],
    terminal: true,
  };
}

const unknownHost: JsonObject = { handle: [textResponse(404, "404 no Ingress serves this host\n")] };

/**
 * Caddy's whole configuration for a routing table: every host on the HTTP port; hosts with a
 * certificate also on the HTTPS port, where a handshake for any other name fails and a Host
 * header that differs from the handshake's name is refused (421). Unknown hosts get 404, paths
 * without ready endpoints 503. No automatic HTTPS, no ACME, no OCSP: Caddy makes no outbound call.
 */
export function caddyConfig(table: RoutingTable, settings: CaddySettings): CaddyConfig {
  const secured = table.hosts.filter((h) => h.certificate !== undefined);
  const tls: JsonObject = {
    ...(table.certificates.length === 0
      ? {}
      : {
          certificates: {
            load_pem: table.certificates.map((c) => ({
              certificate: c.certificatePem,
              key: c.keyPem,
              tags: [c.tag],
            })),
          },
        }),
    disable_ocsp_stapling: true,
  };
  return {
    admin: { listen: settings.adminListen, config: { persist: false } },
    logging: {
      logs: {
        default: { writer: { output: "stderr" }, level: "INFO", exclude: ["http.log.access"] },
        access: {
          writer: { output: "file", filename: settings.accessLog, roll_size_mb: 10, roll_keep: 3 },
          encoder: { format: "json" },
          include: ["http.log.access"],
        },
      },
    },
    storage: { module: "file_system", root: settings.storageDir },
    apps: {
      http: {
        http_port: INGRESS_PORTS.http,
        https_port: INGRESS_PORTS.https,
        grace_period: PROXY_TUNING.gracePeriod,
        servers: {
          http: {
            listen: [settings.httpListen],
            routes: [...table.hosts.map((h) => hostRoute(h, settings)), unknownHost],
            automatic_https: { disable: true },
            // HTTP/2 and 3 need TLS: plain HTTP/1.1 only.
            protocols: ["h1"],
            logs: {},
          },
          https: {
            listen: [settings.httpsListen],
            routes: [...secured.map((h) => hostRoute(h, settings)), unknownHost],
            automatic_https: { disable: true },
            // A policy per name, then one that selects no certificate, so that the port always
            // speaks TLS and only names with a certificate complete a handshake.
            tls_connection_policies: [
              ...secured.map((h) => ({
                match: { sni: [h.host] },
                certificate_selection: { any_tag: [h.certificate ?? NO_CERTIFICATE] },
              })),
              { certificate_selection: { any_tag: [NO_CERTIFICATE] } },
            ],
            strict_sni_host: true,
            protocols: ["h1", "h2"],
            logs: {},
          },
        },
      },
      tls,
    },
  };
}

/**
 * JSON with object keys sorted, so two equal configurations compare equal as text; keys named in
 * `omit` are left out wherever they are.
 */
export function canonicalJson(value: unknown, omit: ReadonlySet<string> = new Set()): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([k]) => !omit.has(k))
            .sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

/**
 * What must be loaded into Caddy for a change to take effect: the configuration without the
 * pods' addresses, which reach Caddy through the upstream DNS. Equal shapes need no `/load`.
 */
export function configShape(config: CaddyConfig): string {
  return canonicalJson(config, new Set(["upstreams"]));
}
