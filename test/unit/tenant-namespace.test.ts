import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import type { TenantNamespaceArgs } from "../../components/tenant-namespace/index.js";

const TYPE = "pluskube:index:TenantNamespace";
const NS = "kubernetes:core/v1:Namespace";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

const quota = {
  cpu: "1500m",
  memory: "3Gi",
  ephemeralStorage: "6Gi",
  storage: "10Gi",
  pods: 6,
  services: 12,
  persistentVolumeClaims: 1,
  secrets: 14,
  configMaps: 11,
  ingresses: 3,
  deployments: 2,
};

let args: TenantNamespaceArgs;
const argsBesidesProvider = {
  project: "shop",
  quota,
  containerDefaults: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
  ingressNamespaces: ["ingress-nginx"],
  serviceEgress: [{ cidr: "10.0.3.7/32", port: 5432 }],
  dnsAddresses: ["169.254.20.10"],
  zoneRanges: ["203.0.113.0/28", "2001:db8:1::/48"],
  volumes: [{ name: "data", size: "10Gi" }],
  storageClass: "standard",
} as const;

type Spec = Record<string, unknown>;

/** The IPv4 ranges internet egress leaves out, as NAT64's well-known prefix maps them, then its local-use prefix. */
const NAT64_CLOSED = [
  "64:ff9b::a00:0/104",
  "64:ff9b::ac10:0/108",
  "64:ff9b::c0a8:0/112",
  "64:ff9b::6440:0/106",
  "64:ff9b::7f00:0/104",
  "64:ff9b::a9fe:0/112",
  "64:ff9b::cb00:7100/124",
  "64:ff9b:1::/48",
];

describe("TenantNamespace", () => {
  let recorder: ResourceRecorder;
  let mod: typeof import("../../components/tenant-namespace/index.js");
  let tenant: InstanceType<typeof mod.TenantNamespace>;

  const spec = (type: string, name: string) => recorder.one(type, name).inputs.spec as Spec;
  const providers = new Map<string, string | undefined>();
  const providerOf = (type: string, name: string) => providers.get(`${type}::${name}`);

  beforeAll(async () => {
    recorder = await installMocks();
    // Which provider each resource is registered with, which the shared recorder leaves out.
    const monitor = pulumi.runtime.getMonitor() as unknown as { mocks: pulumi.runtime.Mocks };
    const newResource = monitor.mocks.newResource.bind(monitor.mocks);
    monitor.mocks.newResource = (mockArgs) => {
      providers.set(`${mockArgs.type}::${mockArgs.name}`, mockArgs.provider);
      return newResource(mockArgs);
    };
    mod = await import("../../components/tenant-namespace/index.js");
    args = {
      ...argsBesidesProvider,
      namespaceProvider: mod.createOnlyKubernetesProvider("create-only", { context: "zone" }),
    };
    tenant = new mod.TenantNamespace("shop", args);
    await settle(recorder);
  });

  it("names the namespace after the project and labels it for Pod Security restricted", () => {
    const metadata = recorder.one(NS, "shop-namespace").inputs.metadata as Spec;
    expect(metadata).toEqual({
      name: "shop",
      labels: {
        "app.kubernetes.io/managed-by": "pluskube",
        "pluskube.dev/project": "shop",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
      },
    });
  });

  it("creates the namespace through the create-only provider, so that an existing one is never adopted", () => {
    const provider = recorder.one("pulumi:providers:kubernetes", "create-only");

    expect(String(provider.inputs.enableServerSideApply)).toBe("false");
    expect(providerOf("kubernetes:core/v1:Namespace", "shop-namespace")).toMatch(
      /pulumi:providers:kubernetes::create-only::/,
    );
    expect(providerOf("kubernetes:core/v1:ResourceQuota", "shop-quota")).not.toMatch(/create-only/);
  });

  it("exposes the namespace, service account and claim names as outputs", async () => {
    expect(await promiseOf(tenant.namespaceName)).toBe("shop");
    expect(await promiseOf(tenant.serviceAccountName)).toBe("pluskube-project");
    expect(await promiseOf(tenant.claimNames.data as pulumi.Output<string>)).toBe("data");
  });

  it("sets every quota key, with node ports and load balancers at zero", () => {
    expect(spec("kubernetes:core/v1:ResourceQuota", "shop-quota").hard).toEqual({
      "requests.cpu": "1500m",
      "limits.cpu": "1500m",
      "requests.memory": "3Gi",
      "limits.memory": "3Gi",
      "requests.ephemeral-storage": "6Gi",
      "limits.ephemeral-storage": "6Gi",
      "requests.storage": "10Gi",
      pods: "6",
      services: "12",
      persistentvolumeclaims: "1",
      secrets: "14",
      configmaps: "11",
      "count/ingresses.networking.k8s.io": "3",
      "count/deployments.apps": "2",
      "services.nodeports": "0",
      "services.loadbalancers": "0",
    });
  });

  it("charges a container without resources one chunk through LimitRange defaults", () => {
    const resources = { cpu: "250m", memory: "512Mi", "ephemeral-storage": "1Gi" };
    expect(spec("kubernetes:core/v1:LimitRange", "shop-limits").limits).toEqual([
      { type: "Container", default: resources, defaultRequest: resources },
    ]);
  });

  it("denies all traffic in and out by default", () => {
    expect(spec(POLICY, "shop-default-deny")).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
  });

  it("allows traffic between the project's own pods", () => {
    expect(spec(POLICY, "shop-allow-same-namespace")).toMatchObject({
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    });
  });

  it("allows connections in from the ingress controller's namespace by its name label", () => {
    expect(spec(POLICY, "shop-allow-ingress-controller")).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
        },
      ],
    });
  });

  it("allows DNS to kube-system and the zone's node-local DNS address over UDP and TCP port 53", () => {
    expect(spec(POLICY, "shop-allow-dns").egress).toEqual([
      {
        to: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } },
          { ipBlock: { cidr: "169.254.20.10/32" } },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
  });

  it("allows internet egress to public addresses only, leaving out the zone's own ranges", () => {
    const [rule] = spec(POLICY, "shop-allow-internet").egress as { to: { ipBlock: Spec }[] }[];
    expect(rule?.to[0]?.ipBlock).toEqual({
      cidr: "0.0.0.0/0",
      except: [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "203.0.113.0/28",
      ],
    });
    expect(rule?.to[1]?.ipBlock).toEqual({
      cidr: "::/0",
      except: ["fc00::/7", "fe80::/10", "::1/128", "2001:db8:1::/48", ...NAT64_CLOSED],
    });
  });

  it("leaves out, through NAT64, every IPv4 range it leaves out, and NAT64's local-use prefix", () => {
    const [rule] = spec(POLICY, "shop-allow-internet").egress as { to: { ipBlock: Spec }[] }[];
    const except = rule?.to[1]?.ipBlock.except as string[];

    expect(except).toEqual(expect.arrayContaining(NAT64_CLOSED));
    expect(except).not.toContain("64:ff9b::/96");
  });

  it("allows the zone's services by address and TCP port", () => {
    expect(spec(POLICY, "shop-allow-zone-services").egress).toEqual([
      { to: [{ ipBlock: { cidr: "10.0.3.7/32" } }], ports: [{ protocol: "TCP", port: 5432 }] },
    ]);
  });

  it("puts every policy in the project's namespace under a stable name", () => {
    const names = recorder.ofType(POLICY).map((policy) => policy.inputs.metadata as Spec);
    expect(names.map((metadata) => metadata.namespace)).toEqual(Array(names.length).fill("shop"));
    expect(names.map((metadata) => metadata.name).sort()).toEqual([
      "pluskube-allow-dns",
      "pluskube-allow-ingress-controller",
      "pluskube-allow-internet",
      "pluskube-allow-same-namespace",
      "pluskube-allow-zone-services",
      "pluskube-default-deny",
    ]);
  });

  it("creates a service account that does not mount its token", () => {
    expect(recorder.one("kubernetes:core/v1:ServiceAccount", "shop-serviceaccount").inputs).toMatchObject({
      metadata: { name: "pluskube-project", namespace: "shop" },
      automountServiceAccountToken: false,
    });
  });

  it("grants the project's tokens deploy verbs in the namespace and nothing on isolation objects", () => {
    const role = recorder.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "shop-role").inputs;
    const rules = role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const resources = rules.flatMap((rule) => rule.resources);
    expect(resources).toEqual(expect.arrayContaining(["deployments", "services", "ingresses", "pods/log"]));
    for (const forbidden of [
      "resourcequotas",
      "limitranges",
      "networkpolicies",
      "roles",
      "rolebindings",
      "*",
    ]) {
      expect(resources).not.toContain(forbidden);
    }
    expect(rules.flatMap((rule) => rule.verbs)).not.toContain("*");
    expect((role.metadata as Spec).namespace).toBe("shop");
  });

  it("binds the role to the project's service account in the namespace", () => {
    const binding = recorder.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "shop-rolebinding");
    expect(binding.inputs).toMatchObject({
      metadata: { namespace: "shop" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pluskube-project" },
      subjects: [{ kind: "ServiceAccount", name: "pluskube-project", namespace: "shop" }],
    });
  });

  it("claims each persistent volume with its size and the storage class", () => {
    expect(recorder.one("kubernetes:core/v1:PersistentVolumeClaim", "shop-volume-data").inputs).toMatchObject(
      {
        metadata: { name: "data", namespace: "shop", labels: { "pluskube.dev/project": "shop" } },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: "standard",
          resources: { requests: { storage: "10Gi" } },
        },
      },
    );
  });

  it("labels every child with the project and the managed-by label", () => {
    const children = recorder.resources.filter((resource) => resource.name.startsWith("shop-"));
    expect(children.length).toBeGreaterThan(10);
    for (const child of children) {
      expect((child.inputs.metadata as { labels: Spec }).labels).toMatchObject({
        "app.kubernetes.io/managed-by": "pluskube",
        "pluskube.dev/project": "shop",
      });
    }
  });

  it("parents every child to the component", () => {
    const children = recorder.resources.filter((resource) => resource.name.startsWith("shop-"));
    for (const child of children) expect(recorder.parentTypeOf(child.name)).toBe(TYPE);
  });

  it("leaves out internet egress, zone services and volumes when not asked for", async () => {
    new mod.TenantNamespace("quiet", {
      project: "quiet",
      namespaceProvider: args.namespaceProvider,
      quota,
      internetEgress: false,
    });
    await settle(recorder);
    const policies = recorder
      .ofType(POLICY)
      .filter((policy) => policy.name.startsWith("quiet-"))
      .map((policy) => policy.name)
      .sort();
    expect(policies).toEqual([
      "quiet-allow-dns",
      "quiet-allow-ingress-controller",
      "quiet-allow-same-namespace",
      "quiet-default-deny",
    ]);
    expect(recorder.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((claim) => claim.name)).toEqual([
      "shop-volume-data",
    ]);
    expect(spec("kubernetes:core/v1:LimitRange", "quiet-limits").limits).toEqual([
      expect.objectContaining({ default: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "1Gi" } }),
    ]);
  });
});
