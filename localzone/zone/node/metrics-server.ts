import { readFileSync } from "node:fs";
import { request } from "node:https";
import { applyObject, kubeRequest, type KubeAccess } from "../kube.js";
import type { Identity } from "../pki.js";
import type { ProcessSpec } from "../process.js";
import { NODE_IP, NODE_NAME, NODE_PORTS, REAL_NODE_LABEL } from "./network.js";

/**
 * metrics-server as a host process of the real node, serving the resource metrics API
 * (`metrics.k8s.io`: CPU and memory of nodes and pods, as `kubectl top` and the service's app
 * metrics read them) through the API server's aggregation layer. It scrapes the kubelet's
 * `/metrics/resource` every `METRIC_RESOLUTION` and keeps the last two scrapes in memory.
 */

/** The group and version metrics-server serves. */
export const METRICS_GROUP = "metrics.k8s.io";
export const METRICS_VERSION = "v1beta1";
/** The APIService that registers the group with the aggregation layer. */
export const METRICS_APISERVICE = `${METRICS_VERSION}.${METRICS_GROUP}`;

/** The selector-less Service the APIService points at, and its EndpointSlice's port name. */
export const METRICS_SERVICE = {
  namespace: "kube-system",
  name: "metrics-server",
  port: 443,
  portName: "https",
};

/**
 * The name the aggregation layer expects in metrics-server's serving certificate: it verifies
 * `<service>.<namespace>.svc` whatever address it connects to.
 */
export const METRICS_SERVICE_HOST = `${METRICS_SERVICE.name}.${METRICS_SERVICE.namespace}.svc`;

/** The EndpointSlice holding metrics-server's host address; no controller manages it. */
export const METRICS_ENDPOINT_SLICE = "metrics-server-host";

/**
 * How often metrics-server scrapes the kubelet (upstream's default is 60 s; at least 10 s).
 * CPU is a rate between two points: the API reports a pod once two scrapes have seen it, or
 * after one when its container started at least 10 s before that scrape (the start is then the
 * first point). A new pod shows figures 10 s to two resolutions after its container starts.
 */
export const METRIC_RESOLUTION_SECONDS = 15;

/** What metrics-server's command line is made of. */
export interface MetricsServerFiles {
  /** Its kubeconfig: its user towards the API server, and the client certificate it shows kubelets. */
  readonly kubeconfig: string;
  /** Its serving certificate (for `METRICS_SERVICE_HOST` and the node address). */
  readonly serving: Identity;
}

/**
 * metrics-server's flags. Notable choices:
 * - it binds the node address, not loopback: the aggregation layer dials the EndpointSlice's
 *   address, and an EndpointSlice may not hold a loopback address. The node guard drops what
 *   pods send to it (through the Service's cluster IP too, as kube-proxy's DNAT happens before
 *   the guard sees the packet), and the host guard what other interfaces send.
 * - one kubeconfig for everything: its client certificate authenticates it to the API server
 *   (listing nodes and pods), to the delegated authentication and authorization reviews, and to
 *   the kubelet, which checks it against the zone CA and asks the API server whether
 *   `pluskube:metrics-server` may get `nodes/metrics`. The kubelet's serving certificate is
 *   verified with the kubeconfig's CA, the zone CA: no `--kubelet-insecure-tls`.
 * - only the real node is scraped (`--node-selector`): kwok's nodes have no kubelet, and every
 *   cycle would log a failed scrape for each.
 * - the kubelet's port is the zone's (`--kubelet-port`), on its InternalIP, the only address it
 *   serves on.
 */
export function metricsServerArgs(files: MetricsServerFiles): string[] {
  return [
    `--kubeconfig=${files.kubeconfig}`,
    `--authentication-kubeconfig=${files.kubeconfig}`,
    `--authorization-kubeconfig=${files.kubeconfig}`,
    `--bind-address=${NODE_IP}`,
    `--secure-port=${NODE_PORTS.metricsServer}`,
    `--tls-cert-file=${files.serving.cert}`,
    `--tls-private-key-file=${files.serving.key}`,
    `--kubelet-port=${NODE_PORTS.kubelet}`,
    "--kubelet-preferred-address-types=InternalIP",
    `--node-selector=${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value}`,
    `--metric-resolution=${METRIC_RESOLUTION_SECONDS}s`,
    "--profiling=false",
    // At 1 it logs two lines per scrape; failed scrapes are errors, logged at 0.
    "--v=0",
  ];
}

/** The process to start. */
export function metricsServerSpec(bin: string, files: MetricsServerFiles): ProcessSpec {
  return { name: "metrics-server", command: bin, args: metricsServerArgs(files) };
}

/** A cluster object and the API path it is applied at. */
export interface ClusterObject {
  readonly path: string;
  readonly object: Record<string, unknown>;
}

const RBAC = "rbac.authorization.k8s.io";
const READ = ["get", "list", "watch"];

/**
 * What metrics-server's user may do, as upstream's manifests grant its ServiceAccount: read
 * nodes and pods and the kubelets' metrics, review tokens and access of the requests it serves
 * (`system:auth-delegator`), and read the front proxy CA and header names the API server
 * publishes in `kube-system/extension-apiserver-authentication`. Also upstream's aggregated
 * role that gives `view`, `edit` and `admin` the read of the metrics API.
 */
export function metricsServerRbac(user: string): ClusterObject[] {
  const subject = [{ apiGroup: RBAC, kind: "User", name: user }];
  const clusterRole = (name: string, rules: object[], labels?: Record<string, string>): ClusterObject => ({
    path: `/apis/${RBAC}/v1/clusterroles/${name}`,
    object: {
      apiVersion: `${RBAC}/v1`,
      kind: "ClusterRole",
      metadata: { name, ...(labels ? { labels } : {}) },
      rules,
    },
  });
  const clusterBinding = (name: string, role: string): ClusterObject => ({
    path: `/apis/${RBAC}/v1/clusterrolebindings/${encodeURIComponent(name)}`,
    object: {
      apiVersion: `${RBAC}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: role },
      subjects: subject,
    },
  });
  return [
    clusterRole(
      "system:aggregated-metrics-reader",
      [{ apiGroups: [METRICS_GROUP], resources: ["pods", "nodes"], verbs: READ }],
      {
        "rbac.authorization.k8s.io/aggregate-to-admin": "true",
        "rbac.authorization.k8s.io/aggregate-to-edit": "true",
        "rbac.authorization.k8s.io/aggregate-to-view": "true",
      },
    ),
    clusterRole("system:metrics-server", [
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods", "nodes"], verbs: READ },
    ]),
    clusterBinding("system:metrics-server", "system:metrics-server"),
    clusterBinding("metrics-server:system:auth-delegator", "system:auth-delegator"),
    {
      path: `/apis/${RBAC}/v1/namespaces/kube-system/rolebindings/metrics-server-auth-reader`,
      object: {
        apiVersion: `${RBAC}/v1`,
        kind: "RoleBinding",
        metadata: { name: "metrics-server-auth-reader", namespace: "kube-system" },
        roleRef: { apiGroup: RBAC, kind: "Role", name: "extension-apiserver-authentication-reader" },
        subjects: subject,
      },
    },
  ];
}

/**
 * The Service, its EndpointSlice and the APIService that route `metrics.k8s.io` to
 * metrics-server on the host. The Service has no selector: its one endpoint is the node address
 * and metrics-server's port, `ready` only while metrics-server answers, so that the aggregation
 * layer answers 503 at once (rather than after a connection timeout) while it does not, and
 * checks the APIService again as soon as it turns ready. `caBundle` is the zone CA, which signs
 * metrics-server's serving certificate.
 */
export function metricsApiObjects(caBundlePem: string, ready: boolean): ClusterObject[] {
  const { namespace, name, port, portName } = METRICS_SERVICE;
  return [
    {
      path: `/api/v1/namespaces/${namespace}/services/${name}`,
      object: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace, labels: { "app.kubernetes.io/name": "metrics-server" } },
        spec: {
          type: "ClusterIP",
          ports: [{ name: portName, port, protocol: "TCP", targetPort: NODE_PORTS.metricsServer }],
        },
      },
    },
    {
      path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${METRICS_ENDPOINT_SLICE}`,
      object: {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: METRICS_ENDPOINT_SLICE,
          namespace,
          labels: {
            "kubernetes.io/service-name": name,
            // Not the EndpointSlice controller's: it leaves slices of other managers alone.
            "endpointslice.kubernetes.io/managed-by": "pluskube-localzone",
          },
        },
        addressType: "IPv4",
        endpoints: [{ addresses: [NODE_IP], nodeName: NODE_NAME, conditions: { ready } }],
        ports: [{ name: portName, port: NODE_PORTS.metricsServer, protocol: "TCP" }],
      },
    },
    {
      path: `/apis/apiregistration.k8s.io/v1/apiservices/${METRICS_APISERVICE}`,
      object: {
        apiVersion: "apiregistration.k8s.io/v1",
        kind: "APIService",
        metadata: { name: METRICS_APISERVICE, labels: { "app.kubernetes.io/name": "metrics-server" } },
        spec: {
          group: METRICS_GROUP,
          version: METRICS_VERSION,
          service: { namespace, name, port },
          caBundle: Buffer.from(caBundlePem).toString("base64"),
          insecureSkipTLSVerify: false,
          groupPriorityMinimum: 100,
          versionPriority: 100,
        },
      },
    },
  ];
}

/**
 * Applies metrics-server's access and the objects that route its API, the endpoint `ready` as
 * given. The APIService is made only once metrics-server answers (`ready`): while it is
 * registered and unreachable, every client's discovery of the API server fails for
 * `metrics.k8s.io`, and the namespace controller, which must list every group, stops deleting
 * namespaces.
 */
export async function ensureMetricsApi(
  access: KubeAccess,
  caCertFile: string,
  user: string,
  ready: boolean,
): Promise<void> {
  const routing = metricsApiObjects(readFileSync(caCertFile, "utf8"), ready).filter(
    (o) => ready || o.object["kind"] !== "APIService",
  );
  for (const { path, object } of [...metricsServerRbac(user), ...routing]) {
    await applyObject(access, path, object);
  }
}

/**
 * Removes the APIService, its Service and the EndpointSlice (which has no owner to be collected
 * with). A zone without its real node serves no metrics API, and `zone:down` removes it too:
 * an APIService nobody serves would make discovery fail for `metrics.k8s.io`, and with it the
 * namespace controller's deletions, for whatever starts the zone's API server next.
 */
export async function removeMetricsApi(access: KubeAccess): Promise<void> {
  for (const { path } of metricsApiObjects("", false).reverse()) {
    const res = await kubeRequest(access, "DELETE", path);
    if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
      throw new Error(`DELETE ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
}

/** The APIService's `Available` condition: whether the aggregation layer reaches metrics-server. */
export async function metricsApiAvailability(
  access: KubeAccess,
): Promise<{ readonly available: boolean; readonly reason: string }> {
  const res = await kubeRequest<{
    status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
  }>(access, "GET", `/apis/apiregistration.k8s.io/v1/apiservices/${METRICS_APISERVICE}`);
  if (res.status === 404) return { available: false, reason: `APIService ${METRICS_APISERVICE} missing` };
  if (res.status !== 200) return { available: false, reason: `APIService: ${res.status}` };
  const condition = res.body.status?.conditions?.find((c) => c.type === "Available");
  return {
    available: condition?.status === "True",
    reason: condition
      ? `${condition.reason ?? condition.status}${condition.message ? `: ${condition.message}` : ""}`
      : "not checked yet",
  };
}

/**
 * Whether metrics-server answers `/livez` on its address, checked with a client certificate
 * (the zone admin's) against the zone CA: its serving certificate carries the node address.
 */
export function metricsServerLive(access: KubeAccess): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: NODE_IP,
        port: NODE_PORTS.metricsServer,
        path: "/livez",
        method: "GET",
        ca: access.ca,
        cert: access.cert,
        key: access.key,
        timeout: 3000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end();
  });
}
