/** Typed factories of the objects the ingress controller reads, valid unless a test breaks them. */
import type {
  Endpoint,
  EndpointPort,
  EndpointSlice,
  Ingress,
  IngressPath,
  IngressRule,
  IngressTls,
  PathType,
  Secret,
  Service,
  ServicePort,
} from "../../../localzone/ingress/objects.js";
import type { ClusterView } from "../../../localzone/ingress/routing.js";
import type { TestCertificate } from "../../helpers/test-certificate.js";

export const NS = "team-a";
export const HOST = "web.local.pluskube.test";

export function path(
  value: string | undefined,
  service: string,
  port: string | number,
  pathType: PathType = "Prefix",
): IngressPath {
  return {
    ...(value === undefined ? {} : { path: value }),
    pathType,
    backend: {
      service: { name: service, port: typeof port === "number" ? { number: port } : { name: port } },
    },
  };
}

export function rule(host: string | undefined, ...paths: IngressPath[]): IngressRule {
  return { ...(host === undefined ? {} : { host }), http: { paths } };
}

export interface IngressOptions {
  readonly namespace?: string;
  readonly created?: string;
  readonly className?: string | null;
  readonly annotations?: Record<string, string>;
  readonly tls?: IngressTls[];
  readonly defaultBackend?: IngressPath["backend"];
  readonly status?: Ingress["status"];
}

export function ingress(name: string, rules: IngressRule[], opts: IngressOptions = {}): Ingress {
  const className = opts.className === undefined ? "pluskube" : opts.className;
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? NS,
      creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z",
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: {
      ...(className === null ? {} : { ingressClassName: className }),
      rules,
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.defaultBackend ? { defaultBackend: opts.defaultBackend } : {}),
    },
    ...(opts.status ? { status: opts.status } : {}),
  };
}

export function service(
  name: string,
  ports: ServicePort[] = [{ name: "http", port: 80, targetPort: "http" }],
  opts: { namespace?: string; type?: string } = {},
): Service {
  return {
    metadata: { name, namespace: opts.namespace ?? NS },
    spec: { ...(opts.type ? { type: opts.type } : {}), ports },
  };
}

export function endpoint(
  address: string,
  conditions: Endpoint["conditions"] = { ready: true, serving: true, terminating: false },
): Endpoint {
  return { addresses: [address], conditions };
}

export function slice(
  name: string,
  serviceName: string,
  endpoints: Endpoint[],
  ports: EndpointPort[] = [{ name: "http", port: 8080, protocol: "TCP" }],
  opts: { namespace?: string; addressType?: string } = {},
): EndpointSlice {
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? NS,
      labels: { "kubernetes.io/service-name": serviceName },
    },
    addressType: opts.addressType ?? "IPv4",
    endpoints,
    ports,
  };
}

export function tlsSecret(
  name: string,
  certificate: TestCertificate,
  opts: { namespace?: string; type?: string } = {},
): Secret {
  return {
    metadata: { name, namespace: opts.namespace ?? NS },
    type: opts.type ?? "kubernetes.io/tls",
    data: {
      "tls.crt": Buffer.from(certificate.certificatePem).toString("base64"),
      "tls.key": Buffer.from(certificate.keyPem).toString("base64"),
    },
  };
}

/** A cluster view; the parts a test does not give are empty. */
export function view(parts: Partial<ClusterView>): ClusterView {
  return {
    ingresses: parts.ingresses ?? [],
    services: parts.services ?? [],
    endpointSlices: parts.endpointSlices ?? [],
    secrets: parts.secrets ?? [],
  };
}

/** One app: an Ingress for HOST on `/`, its Service `web` (port http → container 8080), two ready pods. */
export function webApp(): ClusterView {
  return view({
    ingresses: [ingress("web", [rule(HOST, path("/", "web", "http"))])],
    services: [service("web")],
    endpointSlices: [slice("web-abc", "web", [endpoint("10.244.0.5"), endpoint("10.244.0.6")])],
  });
}
