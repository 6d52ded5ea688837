import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import type { AppClaimArgs } from "../../components/app-claim/index.js";

const TYPE = "pluskube:index:AppClaim";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const RANDOM = "random:index/randomString:RandomString";

type Obj = Record<string, unknown>;
type PodSpec = { containers: Obj[]; volumes: Obj[] } & Obj;

const web: AppClaimArgs = {
  project: "shop",
  app: "web",
  namespace: "shop",
  image: "registry.example.org/shop/web:1.4",
  command: ["/bin/web"],
  args: ["--serve"],
  baseEnv: { PLUSKUBE_ZONE: "lisbon", SHARED: "zone" },
  env: { SHARED: "app", LOG_LEVEL: "info" },
  envOverrides: { LOG_LEVEL: "debug" },
  workingDir: "/srv",
  user: 1000,
  cpu: "500m",
  memory: "1Gi",
  disk: "2Gi",
  replicas: 2,
  port: 3000,
  probe: { path: "/healthz", initialDelaySeconds: 3 },
  volumes: [
    { name: "data", kind: "persistent", size: "10Gi", claimName: "data" },
    { name: "cache", kind: "ephemeral", size: "512Mi" },
    { name: "unused", kind: "ephemeral", size: "1Gi" },
  ],
  mounts: [
    { volume: "data", mountPath: "/data" },
    { volume: "cache", mountPath: "/cache", readOnly: false },
    { volume: "data", mountPath: "/archive", readOnly: true },
  ],
  baseDomain: "lisbon.pluskube.org",
  customDomains: ["shop.example.org"],
  ingressClass: "nginx",
  certIssuer: "letsencrypt-prod",
  serviceAccountName: "pluskube-project",
  runtimeClassName: "gvisor",
  priorityClassName: "pluskube-tenant",
};

describe("AppClaim as a Deployment", () => {
  let recorder: ResourceRecorder;
  let mod: typeof import("../../components/app-claim/index.js");
  let claim: InstanceType<typeof mod.AppClaim>;

  const deploymentSpec = (name: string) => recorder.one(DEPLOYMENT, name).inputs.spec as Obj;
  const podSpec = (name: string) => (deploymentSpec(name).template as { spec: PodSpec }).spec;
  const container = (name: string) => podSpec(name).containers[0] as Obj;

  beforeAll(async () => {
    recorder = await installMocks();
    mod = await import("../../components/app-claim/index.js");
    claim = new mod.AppClaim("shop-web", web);
    new mod.AppClaim("shop-worker", {
      project: "shop",
      app: "worker",
      namespace: "shop",
      image: "nginx:1.27",
      cpu: "250m",
      memory: "512Mi",
      disk: "1Gi",
      baseDomain: "local.pluskube.test",
      readOnlyRootFilesystem: false,
    });
    await settle(recorder);
  });

  it("draws the subdomain from a lowercase, alphanumeric random string of 8 kept per app", () => {
    expect(recorder.one(RANDOM, "shop-web-subdomain").inputs).toMatchObject({
      length: 8,
      lower: true,
      upper: false,
      numeric: true,
      special: false,
      keepers: { project: "shop", app: "web" },
    });
  });

  it("answers on the random subdomain and the custom domains over https with an issuer", async () => {
    const host = await promiseOf(claim.host);
    expect(host).toMatch(/^[a-z0-9]{8}\.lisbon\.pluskube\.org$/);
    expect(await promiseOf(claim.url)).toBe(`https://${host}`);
    expect(await promiseOf(claim.urls)).toEqual([`https://${host}`, "https://shop.example.org"]);
  });

  it("reports its namespace, Deployment and Service names", async () => {
    expect(await promiseOf(claim.namespace)).toBe("shop");
    expect(await promiseOf(claim.deploymentName)).toBe("web");
    expect(await promiseOf(claim.serviceName)).toBe("web");
  });

  it("runs the image with its command, arguments and working directory", () => {
    expect(container("shop-web-deployment")).toMatchObject({
      name: "web",
      image: "registry.example.org/shop/web:1.4",
      command: ["/bin/web"],
      args: ["--serve"],
      workingDir: "/srv",
      ports: [{ name: "http", containerPort: 3000, protocol: "TCP" }],
    });
  });

  it("merges env with zone env lowest and the app's zone overrides highest, sorted by name", () => {
    expect(container("shop-web-deployment").env).toEqual([
      { name: "LOG_LEVEL", value: "debug" },
      { name: "PLUSKUBE_ZONE", value: "lisbon" },
      { name: "SHARED", value: "app" },
    ]);
  });

  it("requests exactly what it limits for cpu, memory and ephemeral storage", () => {
    const resources = { cpu: "500m", memory: "1Gi", "ephemeral-storage": "2Gi" };
    expect(container("shop-web-deployment").resources).toEqual({ requests: resources, limits: resources });
  });

  it("runs as the given non-root user without privileges, capabilities or a writable root", () => {
    expect(container("shop-web-deployment").securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
      readOnlyRootFilesystem: true,
    });
    expect(podSpec("shop-web-deployment").securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("keeps the service account token out of the pod and uses the project's account", () => {
    expect(podSpec("shop-web-deployment")).toMatchObject({
      serviceAccountName: "pluskube-project",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      runtimeClassName: "gvisor",
      priorityClassName: "pluskube-tenant",
    });
  });

  it("checks readiness and liveness over HTTP on the named port", () => {
    expect(container("shop-web-deployment")).toMatchObject({
      readinessProbe: { httpGet: { path: "/healthz", port: "http" }, initialDelaySeconds: 3 },
      livenessProbe: { httpGet: { path: "/healthz", port: "http" }, initialDelaySeconds: 13 },
    });
  });

  it("checks a TCP connect to the port when no path is given", () => {
    expect(container("shop-worker-deployment")).toMatchObject({
      readinessProbe: { tcpSocket: { port: "http" } },
      livenessProbe: { tcpSocket: { port: "http" } },
    });
  });

  it("rolls out one new pod at a time and never lowers availability", () => {
    expect(deploymentSpec("shop-web-deployment")).toMatchObject({
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      minReadySeconds: 5,
      selector: { matchLabels: { "pluskube.dev/project": "shop", "pluskube.dev/app": "web" } },
    });
  });

  it("mounts a persistent volume's claim and gives an ephemeral one an emptyDir with its size", () => {
    expect(podSpec("shop-web-deployment").volumes).toEqual([
      { name: "volume-data", persistentVolumeClaim: { claimName: "data" } },
      { name: "volume-cache", emptyDir: { sizeLimit: "512Mi" } },
      { name: "tmp", emptyDir: { sizeLimit: "2Gi" } },
    ]);
    expect(container("shop-web-deployment").volumeMounts).toEqual([
      { name: "volume-data", mountPath: "/data", readOnly: false },
      { name: "volume-cache", mountPath: "/cache", readOnly: false },
      { name: "volume-data", mountPath: "/archive", readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ]);
  });

  it("leaves out the /tmp scratch volume when the root filesystem is writable", () => {
    expect(container("shop-worker-deployment").securityContext).toMatchObject({
      readOnlyRootFilesystem: false,
    });
    expect(podSpec("shop-worker-deployment").volumes).toEqual([]);
  });

  it("exposes the pods through a ClusterIP Service on port 80", () => {
    expect(recorder.one(SERVICE, "shop-web-service").inputs.spec).toEqual({
      type: "ClusterIP",
      selector: { "pluskube.dev/project": "shop", "pluskube.dev/app": "web" },
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    });
  });

  it("routes every host through the zone's ingress class with a cert-manager certificate", async () => {
    const ingress = recorder.one(INGRESS, "shop-web-ingress").inputs;
    const host = await promiseOf(claim.host);
    expect(ingress.metadata).toMatchObject({
      name: "web",
      namespace: "shop",
      annotations: { "pulumi.com/skipAwait": "true", "cert-manager.io/cluster-issuer": "letsencrypt-prod" },
    });
    const spec = ingress.spec as { rules: { host: string; http: Obj }[] } & Obj;
    expect(spec.ingressClassName).toBe("nginx");
    expect(spec.rules.map((rule) => rule.host)).toEqual([host, "shop.example.org"]);
    expect(spec.rules[0]?.http).toEqual({
      paths: [
        { path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { name: "http" } } } },
      ],
    });
    expect(spec.tls).toEqual([{ hosts: [host, "shop.example.org"], secretName: "web-tls" }]);
  });

  it("serves plain HTTP without a TLS section when the zone has no issuer", () => {
    const ingress = recorder.one(INGRESS, "shop-worker-ingress").inputs;
    expect((ingress.spec as Obj).tls).toBeUndefined();
    expect((ingress.metadata as { annotations: Obj }).annotations).toEqual({
      "pulumi.com/skipAwait": "true",
    });
  });

  it("labels its objects with the project and the app", () => {
    for (const [type, name] of [
      [DEPLOYMENT, "shop-web-deployment"],
      [SERVICE, "shop-web-service"],
      [INGRESS, "shop-web-ingress"],
    ] as const) {
      expect((recorder.one(type, name).inputs.metadata as { labels: Obj }).labels).toEqual({
        "app.kubernetes.io/managed-by": "pluskube",
        "pluskube.dev/project": "shop",
        "pluskube.dev/app": "web",
      });
    }
  });

  it("parents every child to the component", () => {
    const children = recorder.resources.filter((resource) => resource.name.startsWith("shop-web-"));
    expect(children.map((child) => child.name).sort()).toEqual([
      "shop-web-deployment",
      "shop-web-ingress",
      "shop-web-service",
      "shop-web-subdomain",
    ]);
    for (const child of children) expect(recorder.parentTypeOf(child.name)).toBe(TYPE);
  });
});

describe("AppClaim as a Knative Service", () => {
  let recorder: ResourceRecorder;
  let mod: typeof import("../../components/app-claim/index.js");
  let claim: InstanceType<typeof mod.AppClaim>;
  const KSVC = "kubernetes:serving.knative.dev/v1:Service";
  const MAPPING = "kubernetes:serving.knative.dev/v1beta1:DomainMapping";

  beforeAll(async () => {
    recorder = await installMocks();
    mod = await import("../../components/app-claim/index.js");
    claim = new mod.AppClaim("shop-fn", {
      project: "shop",
      app: "fn",
      namespace: pulumi.output("shop"),
      image: pulumi.output("ghcr.io/shop/fn:2"),
      cpu: "250m",
      memory: "512Mi",
      disk: "1Gi",
      replicas: 3,
      serverless: true,
      knative: true,
      volumes: [{ name: "cache", kind: "ephemeral", size: "256Mi" }],
      mounts: [{ volume: "cache", mountPath: "/tmp" }],
      baseDomain: "lisbon.pluskube.org",
      customDomains: ["fn.example.org"],
    });
    await settle(recorder);
  });

  it("makes a cluster-local Knative Service that scales from zero up to the replicas", () => {
    const ksvc = recorder.one(KSVC, "shop-fn-knative-service").inputs;
    expect(ksvc.metadata).toMatchObject({
      name: "fn",
      namespace: "shop",
      labels: { "networking.knative.dev/visibility": "cluster-local", "pluskube.dev/app": "fn" },
    });
    const template = (ksvc.spec as { template: { metadata: Obj; spec: PodSpec } }).template;
    expect(template.metadata.annotations).toEqual({
      "autoscaling.knative.dev/min-scale": "0",
      "autoscaling.knative.dev/max-scale": "3",
    });
    expect(template.spec).toMatchObject({
      serviceAccountName: "pluskube-project",
      automountServiceAccountToken: false,
    });
  });

  it("runs the same restricted container, probing the port by number", () => {
    const ksvc = recorder.one(KSVC, "shop-fn-knative-service").inputs;
    const template = (ksvc.spec as { template: { spec: PodSpec } }).template;
    expect(template.spec.containers[0]).toMatchObject({
      image: "ghcr.io/shop/fn:2",
      ports: [{ name: "http1", containerPort: 8080, protocol: "TCP" }],
      securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
      readinessProbe: { tcpSocket: { port: 8080 } },
      resources: { requests: { cpu: "250m" }, limits: { cpu: "250m" } },
    });
    expect(template.spec.volumes).toEqual([{ name: "volume-cache", emptyDir: { sizeLimit: "256Mi" } }]);
  });

  it("maps the random subdomain and each custom domain to the Knative Service", async () => {
    const host = await promiseOf(claim.host);
    const subdomain = recorder.one(MAPPING, "shop-fn-domain-subdomain").inputs;
    expect(subdomain).toMatchObject({
      metadata: { name: host, namespace: "shop" },
      spec: { ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "fn" } },
    });
    expect(recorder.one(MAPPING, "shop-fn-domain-fn.example.org").inputs.metadata).toMatchObject({
      name: "fn.example.org",
    });
    expect(await promiseOf(claim.urls)).toEqual([`http://${host}`, "http://fn.example.org"]);
  });

  it("makes no Deployment, Service or Ingress of its own", () => {
    expect(recorder.ofType(DEPLOYMENT)).toEqual([]);
    expect(recorder.ofType(SERVICE)).toEqual([]);
    expect(recorder.ofType(INGRESS)).toEqual([]);
  });

  it("parents every child to the component", async () => {
    expect(await promiseOf(claim.deploymentName)).toBe("fn");
    for (const name of ["shop-fn-subdomain", "shop-fn-knative-service", "shop-fn-domain-subdomain"]) {
      expect(recorder.parentTypeOf(name)).toBe(TYPE);
    }
  });
});
