/**
 * From Ingress, Service, EndpointSlice and Secret objects to a routing table: which host and path
 * go to which pod addresses, and which certificate each HTTPS host presents. Pure: the
 * controller feeds it what its watches hold and turns the table into Caddy's configuration.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import {
  objectKey,
  SERVICE_NAME_LABEL,
  type EndpointSlice,
  type Ingress,
  type IngressBackend,
  type IngressPath,
  type Secret,
  type Service,
  type ServicePort,
} from "./objects.js";

/** What the watches hold: every object of the four kinds the routes depend on. */
export interface ClusterView {
  readonly ingresses: readonly Ingress[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly secrets: readonly Secret[];
}

/** How a path matches: `Exact`, or `Prefix` by whole path elements (`/a` matches `/a/b`, not `/ab`). */
export type PathMatch = "Exact" | "Prefix";

/** One path of one host and where its requests go. */
export interface PathRoute {
  readonly match: PathMatch;
  /** Starts with `/`; a prefix has no trailing slash (except `/` itself). */
  readonly path: string;
  /** `namespace/name` of the Ingress that asked for this path. */
  readonly ingress: string;
  /** `service:port` as the Ingress names them (for logs and error pages). */
  readonly service: string;
  /** `address:port` of every ready endpoint, sorted; empty when none can serve. */
  readonly upstreams: readonly string[];
  /**
   * DNS-safe name of the backend (`p<service port name>.<service>.<namespace>`) under which the
   * controller's upstream DNS serves `upstreams`; present when there are upstreams.
   */
  readonly upstreamName?: string;
  /** Why no endpoint can serve (answered with 503); absent when `upstreams` has some. */
  readonly unavailable?: string;
}

/** Everything served for one host name. */
export interface HostRoute {
  /** Lower-case DNS name, no wildcard. */
  readonly host: string;
  /** Namespace the host belongs to (that of the oldest Ingress naming it). */
  readonly namespace: string;
  /** In match order: longest path first, `Exact` before `Prefix` of the same path. */
  readonly paths: readonly PathRoute[];
  /** Tag of the certificate served for it over HTTPS; absent when the host has no valid TLS secret. */
  readonly certificate?: string;
}

/** A certificate and key from a `kubernetes.io/tls` Secret, tagged `namespace/name`. */
export interface TlsCertificate {
  readonly tag: string;
  readonly certificatePem: string;
  readonly keyPem: string;
}

/** What an Ingress of the class got: whether any of its paths and any of its TLS hosts are served. */
export interface ServedIngress {
  readonly paths: number;
  readonly tls: boolean;
}

export interface RoutingTable {
  /** Sorted by host name. */
  readonly hosts: readonly HostRoute[];
  /** Sorted by tag. */
  readonly certificates: readonly TlsCertificate[];
  /** Ingresses of the class with at least one path served, by `namespace/name`. */
  readonly served: ReadonlyMap<string, ServedIngress>;
  /** One sentence per thing refused or broken, each naming its Ingress (stable between runs). */
  readonly warnings: readonly string[];
}

/** The class an Ingress asks for: `spec.ingressClassName`, or the older annotation. */
export function ingressClassOf(ingress: Ingress): string | undefined {
  return ingress.spec?.ingressClassName ?? ingress.metadata.annotations?.["kubernetes.io/ingress.class"];
}

/**
 * The match of an Ingress path, or why it is refused. `ImplementationSpecific` is served as
 * `Prefix`; a prefix's trailing slash is ignored, as the Ingress API specifies.
 */
export function pathMatch(path: IngressPath): { match: PathMatch; path: string } | { refused: string } {
  const value = path.path === undefined || path.path === "" ? "/" : path.path;
  if (!value.startsWith("/")) return { refused: `path ${JSON.stringify(value)} does not start with /` };
  if (path.pathType === "Exact") return { match: "Exact", path: value };
  return { match: "Prefix", path: value.replace(/\/+$/, "") || "/" };
}

/** Upstreams of one Ingress backend, or why there are none. */
interface ResolvedBackend {
  readonly service: string;
  readonly upstreams: readonly string[];
  readonly upstreamName?: string;
  readonly unavailable?: string;
}

/** The watches' objects, indexed the way backends are looked up. */
class BackendIndex {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice[]>();

  constructor(view: ClusterView) {
    for (const service of view.services) this.services.set(objectKey(service), service);
    for (const slice of view.endpointSlices) {
      const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
      if (owner === undefined) continue;
      const key = `${slice.metadata.namespace ?? ""}/${owner}`;
      this.slices.set(key, [...(this.slices.get(key) ?? []), slice]);
    }
  }

  resolve(namespace: string, backend: IngressBackend): ResolvedBackend | { refused: string } {
    if (backend.service === undefined) {
      return {
        refused: `backend ${backend.resource ? `resource ${backend.resource.kind}` : "without service"}`,
      };
    }
    const { name, port } = backend.service;
    const portLabel = port?.name ?? (port?.number === undefined ? "?" : String(port.number));
    const label = `${name}:${portLabel}`;
    const unavailable = (reason: string): ResolvedBackend => ({
      service: label,
      upstreams: [],
      unavailable: reason,
    });
    const service = this.services.get(`${namespace}/${name}`);
    if (service === undefined) return unavailable(`service ${name} not found`);
    if (service.spec?.type === "ExternalName")
      return unavailable(`service ${name} is ExternalName, not served`);
    const servicePort = findServicePort(service.spec?.ports ?? [], port?.name, port?.number);
    if (servicePort === undefined) return unavailable(`service ${name} has no port ${portLabel}`);
    if ((servicePort.protocol ?? "TCP") !== "TCP")
      return unavailable(`port ${portLabel} of ${name} is not TCP`);
    const upstreams = new Set<string>();
    for (const slice of this.slices.get(`${namespace}/${name}`) ?? []) {
      for (const upstream of sliceUpstreams(slice, servicePort.name ?? "")) upstreams.add(upstream);
    }
    if (upstreams.size === 0) return unavailable(`no ready endpoints for ${label}`);
    // Service and namespace names are DNS labels; a port name is one too, once prefixed.
    const upstreamName = `p${servicePort.name ?? ""}.${name}.${namespace}`;
    return { service: label, upstreams: [...upstreams].sort(), upstreamName };
  }
}

function findServicePort(
  ports: readonly ServicePort[],
  name: string | undefined,
  number: number | undefined,
): ServicePort | undefined {
  if (name !== undefined && name !== "") return ports.find((p) => p.name === name);
  if (number !== undefined) return ports.find((p) => p.port === number);
  return undefined;
}

/**
 * `address:port` of a slice's ready endpoints for one Service port. The slice's port of the same
 * name holds the container port its endpoints resolved the Service's `targetPort` to, so named
 * target ports work even when pods disagree on the number. Terminating and not-ready endpoints
 * are left out; an unknown readiness counts as ready, as the EndpointSlice API asks of consumers.
 * IPv4 slices only.
 */
export function sliceUpstreams(slice: EndpointSlice, servicePortName: string): string[] {
  // The zone's pod network is IPv4, and the upstream DNS answers A records only.
  if (slice.addressType !== "IPv4") return [];
  const port = (slice.ports ?? []).find(
    (p) => (p.name ?? "") === servicePortName && (p.protocol ?? "TCP") === "TCP",
  )?.port;
  if (port === undefined) return [];
  const upstreams: string[] = [];
  for (const endpoint of slice.endpoints ?? []) {
    if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
    // The addresses of one endpoint are the same pod: the API lets consumers use the first.
    const address = endpoint.addresses[0];
    if (address === undefined) continue;
    upstreams.push(`${address}:${port}`);
  }
  return upstreams;
}

/**
 * Checks a `kubernetes.io/tls` Secret for one host: a PEM certificate, a key that matches it,
 * and a name (or wildcard) that covers the host. Caddy refuses a whole configuration for one bad
 * certificate, so a bad Secret must be caught here.
 */
export function tlsCertificate(
  secret: Secret | undefined,
  secretName: string,
  host: string,
): TlsCertificate | { refused: string } {
  if (secret === undefined) return { refused: `secret ${secretName} not found` };
  if (secret.type !== "kubernetes.io/tls")
    return { refused: `secret ${secretName} is not of type kubernetes.io/tls` };
  const certificatePem = Buffer.from(secret.data?.["tls.crt"] ?? "", "base64").toString("utf8");
  const keyPem = Buffer.from(secret.data?.["tls.key"] ?? "", "base64").toString("utf8");
  try {
    const certificate = new X509Certificate(certificatePem);
    if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
      return { refused: `secret ${secretName}: tls.key does not match tls.crt` };
    }
    if (certificate.checkHost(host) === undefined) {
      return { refused: `secret ${secretName}: certificate does not cover ${host}` };
    }
  } catch (err) {
    return { refused: `secret ${secretName}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { tag: objectKey(secret), certificatePem, keyPem };
}

function byAge(a: Ingress, b: Ingress): number {
  const at = a.metadata.creationTimestamp ?? "";
  const bt = b.metadata.creationTimestamp ?? "";
  if (at !== bt) return at < bt ? -1 : 1;
  const ak = objectKey(a);
  const bk = objectKey(b);
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

function matchOrder(a: PathRoute, b: PathRoute): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.match !== b.match) return a.match === "Exact" ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

interface HostDraft {
  readonly namespace: string;
  readonly owner: string;
  readonly paths: PathRoute[];
  certificate?: string;
}

/**
 * The routing table of the Ingresses of `className`. Rules are served per exact host; a host
 * belongs to the namespace of the oldest Ingress that names it, so another project cannot take
 * over or add paths to it. Refused, each with a warning: rules without a host and wildcard hosts
 * (they would catch other projects' names), `defaultBackend`, resource backends, and TLS entries
 * whose Secret is missing or invalid (the host is then served over HTTP only).
 */
export function routingTable(view: ClusterView, className: string): RoutingTable {
  const index = new BackendIndex(view);
  const secrets = new Map(view.secrets.map((s) => [objectKey(s), s]));
  const ingresses = view.ingresses.filter((i) => ingressClassOf(i) === className).sort(byAge);
  const hosts = new Map<string, HostDraft>();
  const certificates = new Map<string, TlsCertificate>();
  const served = new Map<string, { paths: number; tls: boolean }>();
  const warnings: string[] = [];

  for (const ingress of ingresses) {
    const key = objectKey(ingress);
    const namespace = ingress.metadata.namespace ?? "";
    const warn = (what: string): void => {
      warnings.push(`${key}: ${what}`);
    };
    if (ingress.spec?.defaultBackend) warn("defaultBackend refused (it would answer for every host)");
    for (const rule of ingress.spec?.rules ?? []) {
      const host = rule.host?.toLowerCase();
      if (host === undefined || host === "") {
        warn("rule without host refused (it would answer for every host)");
        continue;
      }
      if (host.includes("*")) {
        warn(`wildcard host ${host} refused; name each host`);
        continue;
      }
      let draft = hosts.get(host);
      if (draft === undefined) {
        draft = { namespace, owner: key, paths: [] };
        hosts.set(host, draft);
      } else if (draft.namespace !== namespace) {
        warn(`host ${host} belongs to ${draft.owner} in namespace ${draft.namespace}; refused`);
        continue;
      }
      for (const path of rule.http?.paths ?? []) {
        const match = pathMatch(path);
        if ("refused" in match) {
          warn(`${host}: ${match.refused}; refused`);
          continue;
        }
        const taken = draft.paths.find((p) => p.match === match.match && p.path === match.path);
        if (taken !== undefined) {
          if (taken.ingress !== key)
            warn(`${host}${match.path} (${match.match}) is served by ${taken.ingress}; refused`);
          continue;
        }
        const backend = index.resolve(namespace, path.backend);
        if ("refused" in backend) {
          warn(`${host}${match.path}: ${backend.refused} refused; only service backends are served`);
          continue;
        }
        draft.paths.push({ ...match, ingress: key, ...backend });
        const counts = served.get(key) ?? { paths: 0, tls: false };
        served.set(key, { ...counts, paths: counts.paths + 1 });
      }
    }
  }

  for (const ingress of ingresses) {
    const key = objectKey(ingress);
    const namespace = ingress.metadata.namespace ?? "";
    for (const tls of ingress.spec?.tls ?? []) {
      for (const rawHost of tls.hosts ?? []) {
        const host = rawHost.toLowerCase();
        const draft = hosts.get(host);
        // Another project's host, or one no path serves: nothing to present a certificate for.
        if (draft === undefined || draft.namespace !== namespace || draft.paths.length === 0) continue;
        if (draft.certificate !== undefined) continue;
        if (!tls.secretName) {
          warnings.push(`${key}: TLS for ${host} names no secret; the zone has no default certificate`);
          continue;
        }
        const certificate = tlsCertificate(
          secrets.get(`${namespace}/${tls.secretName}`),
          tls.secretName,
          host,
        );
        if ("refused" in certificate) {
          warnings.push(`${key}: TLS for ${host} refused: ${certificate.refused}`);
          continue;
        }
        draft.certificate = certificate.tag;
        certificates.set(certificate.tag, certificate);
        const counts = served.get(key);
        if (counts !== undefined) served.set(key, { ...counts, tls: true });
      }
    }
  }

  const hostRoutes = [...hosts]
    .filter(([, draft]) => draft.paths.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([host, draft]) => ({
      host,
      namespace: draft.namespace,
      paths: [...draft.paths].sort(matchOrder),
      ...(draft.certificate === undefined ? {} : { certificate: draft.certificate }),
    }));
  return {
    hosts: hostRoutes,
    certificates: [...certificates.values()].sort((a, b) => (a.tag < b.tag ? -1 : 1)),
    served,
    warnings,
  };
}
