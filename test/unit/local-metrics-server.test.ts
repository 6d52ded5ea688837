import { describe, expect, it } from "vitest";
import { components, NODE_BINARIES, NODE_COMPONENTS } from "../../localzone/toolchain/components.js";
import { aggregationFlags } from "../../localzone/zone/control-plane.js";
import {
  METRICS_APISERVICE,
  METRICS_SERVICE_HOST,
  metricsApiObjects,
  metricsServerArgs,
  metricsServerRbac,
} from "../../localzone/zone/node/metrics-server.js";
import { NODE_IP } from "../../localzone/zone/node/network.js";
import { pkiPaths } from "../../localzone/zone/pki.js";

const files = {
  kubeconfig: "/zone/node/kubeconfigs/metrics-server.kubeconfig",
  serving: { cert: "/zone/pki/metrics-server-serving.crt", key: "/zone/pki/metrics-server-serving.key" },
};

function flag(args: readonly string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

describe("metrics-server's flags", () => {
  const args = metricsServerArgs(files);

  it("serve on the node address, with the zone's serving certificate", () => {
    expect(flag(args, "bind-address")).toBe(NODE_IP);
    expect(flag(args, "secure-port")).toBe("16457");
    expect(flag(args, "tls-cert-file")).toBe(files.serving.cert);
    expect(flag(args, "tls-private-key-file")).toBe(files.serving.key);
  });

  it("act as its own user towards the API server, its reviews and the kubelet", () => {
    for (const name of ["kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig"]) {
      expect(flag(args, name)).toBe(files.kubeconfig);
    }
    // The kubelet's certificate is verified against the kubeconfig's CA.
    expect(args).not.toContain("--kubelet-insecure-tls");
    expect(args.some((a) => a.startsWith("--deprecated-kubelet-completely-insecure"))).toBe(false);
  });

  it("scrape the real node's kubelet only, on its port and address, every 15 s", () => {
    expect(flag(args, "node-selector")).toBe("pluskube.dev/node=real");
    expect(flag(args, "kubelet-port")).toBe("16450");
    expect(flag(args, "kubelet-preferred-address-types")).toBe("InternalIP");
    expect(flag(args, "metric-resolution")).toBe("15s");
  });
});

describe("the objects that route metrics.k8s.io to metrics-server", () => {
  const ca = "-----BEGIN CERTIFICATE-----\nzone CA\n-----END CERTIFICATE-----\n";
  const byKind = (ready: boolean) =>
    Object.fromEntries(metricsApiObjects(ca, ready).map((o) => [o.object["kind"] as string, o]));

  it("register v1beta1.metrics.k8s.io, trusting the zone CA rather than skipping verification", () => {
    const api = byKind(true)["APIService"];
    expect(api?.path).toBe(`/apis/apiregistration.k8s.io/v1/apiservices/${METRICS_APISERVICE}`);
    const spec = api?.object["spec"] as Record<string, unknown>;
    expect(spec["group"]).toBe("metrics.k8s.io");
    expect(spec["version"]).toBe("v1beta1");
    expect(spec["service"]).toEqual({ namespace: "kube-system", name: "metrics-server", port: 443 });
    expect(Buffer.from(spec["caBundle"] as string, "base64").toString()).toBe(ca);
    expect(spec["insecureSkipTLSVerify"]).toBe(false);
  });

  it("point the selector-less Service's one endpoint at metrics-server on the node address", () => {
    const objects = byKind(true);
    const service = objects["Service"]?.object["spec"] as Record<string, unknown>;
    expect(service["selector"]).toBeUndefined();
    expect(service["ports"]).toEqual([{ name: "https", port: 443, protocol: "TCP", targetPort: 16457 }]);
    const slice = objects["EndpointSlice"]?.object as Record<string, unknown>;
    const labels = (slice["metadata"] as { labels: Record<string, string> }).labels;
    expect(labels["kubernetes.io/service-name"]).toBe("metrics-server");
    expect(labels["endpointslice.kubernetes.io/managed-by"]).not.toBe("endpointslice-controller.k8s.io");
    expect(slice["endpoints"]).toEqual([
      { addresses: [NODE_IP], nodeName: "pluskube-node", conditions: { ready: true } },
    ]);
    expect(slice["ports"]).toEqual([{ name: "https", port: 16457, protocol: "TCP" }]);
  });

  it("mark the endpoint not ready while metrics-server does not answer", () => {
    const slice = byKind(false)["EndpointSlice"]?.object as { endpoints: { conditions: unknown }[] };
    expect(slice.endpoints[0]?.conditions).toEqual({ ready: false });
  });

  it("carry label values the API server accepts", () => {
    const objects = [...metricsApiObjects(ca, true), ...metricsServerRbac("pluskube:metrics-server")];
    for (const { object } of objects) {
      const labels = (object["metadata"] as { labels?: Record<string, string> }).labels ?? {};
      for (const value of Object.values(labels)) {
        expect(value).toMatch(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
        expect(value.length).toBeLessThanOrEqual(63);
      }
    }
  });

  it("name the certificate's host the aggregation layer verifies", () => {
    expect(METRICS_SERVICE_HOST).toBe("metrics-server.kube-system.svc");
  });
});

describe("metrics-server's access", () => {
  const objects = metricsServerRbac("pluskube:metrics-server");
  const named = (kind: string, name: string) =>
    objects.find((o) => o.object["kind"] === kind && (o.object["metadata"] as { name: string }).name === name)
      ?.object;

  it("reads nodes, pods and the kubelets' metrics, as upstream grants it", () => {
    expect(named("ClusterRole", "system:metrics-server")?.["rules"]).toEqual([
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
    ]);
  });

  it("delegates authentication and authorization and reads the front proxy's settings", () => {
    expect(named("ClusterRoleBinding", "metrics-server:system:auth-delegator")?.["roleRef"]).toMatchObject({
      kind: "ClusterRole",
      name: "system:auth-delegator",
    });
    const reader = named("RoleBinding", "metrics-server-auth-reader");
    expect(reader?.["metadata"]).toMatchObject({ namespace: "kube-system" });
    expect(reader?.["roleRef"]).toMatchObject({
      kind: "Role",
      name: "extension-apiserver-authentication-reader",
    });
  });

  it("binds every role to the metrics-server user and nobody else", () => {
    for (const o of objects.filter((x) => String(x.object["kind"]).endsWith("Binding"))) {
      expect(o.object["subjects"]).toEqual([
        { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "pluskube:metrics-server" },
      ]);
    }
  });
});

describe("the API server's aggregation layer", () => {
  const pki = pkiPaths("/zone");
  const flags = aggregationFlags(pki);

  it("believes request headers only from the front proxy CA's client named front-proxy-client", () => {
    expect(flag(flags, "requestheader-client-ca-file")).toBe(pki.frontProxyCaCert);
    expect(pki.frontProxyCaCert).not.toBe(pki.caCert);
    expect(flag(flags, "requestheader-allowed-names")).toBe("front-proxy-client");
    expect(flag(flags, "proxy-client-cert-file")).toBe(pki.frontProxyClientCert);
    expect(flag(flags, "proxy-client-key-file")).toBe(pki.frontProxyClientKey);
  });

  it("routes to the endpoint's address, as the API server is outside the Service network", () => {
    expect(flags).toContain("--enable-aggregator-routing=true");
  });
});

describe("the toolchain's metrics-server", () => {
  it("is built from sigs.k8s.io/metrics-server v0.8.0 with its version stamped", () => {
    const c = components().find((x) => x.name === "metrics-server");
    expect(c?.kind).toBe("go");
    if (c?.kind !== "go") return;
    expect(c.version).toBe("0.8.0");
    expect(c.pkg).toBe("sigs.k8s.io/metrics-server/cmd/metrics-server");
    expect(c.versionVars).toContain("k8s.io/client-go/pkg/version.gitVersion=v0.8.0");
  });

  it("is one of the node's binaries, which the zone's components include", () => {
    expect(NODE_BINARIES).toContain("metrics-server");
    expect(NODE_COMPONENTS).toEqual(expect.arrayContaining([...NODE_BINARIES]));
    for (const name of NODE_BINARIES) {
      expect(components().find((x) => x.name === name)?.kind, name).toBe("go");
    }
  });
});
