import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import { parseProjectSpec } from "../../spec/project.js";
import { lisbonZoneSpec, PROJECT_SPECS } from "./fixtures/project-specs.js";

type Obj = Record<string, unknown>;

const lisbon = lisbonZoneSpec;

const spec = parseProjectSpec(PROJECT_SPECS.shop);

describe("composeProject", () => {
  let recorder: ResourceRecorder;
  let compose: typeof import("../../stacks/project/compose.js");
  let outputs: ReturnType<typeof compose.composeProject>;
  const providers = new Map<string, string | undefined>();
  const files = mkdtempSync(join(tmpdir(), "pluskube-compose-unit-"));
  const zone = lisbon(files);

  const inputsOf = (type: string, name: string) => recorder.one(type, name).inputs;

  beforeAll(async () => {
    writeFileSync(join(files, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    writeFileSync(join(files, "postgres.password"), "admin-password\n");
    writeFileSync(join(files, "s3.access-key"), "admin-key\n");
    writeFileSync(join(files, "s3.secret-key"), "admin-secret\n");
    recorder = await installMocks({ stack: "shop.lisbon" });
    // Record which provider each resource is registered with, which the shared recorder leaves out.
    const monitor = pulumi.runtime.getMonitor() as unknown as { mocks: pulumi.runtime.Mocks };
    const newResource = monitor.mocks.newResource.bind(monitor.mocks);
    monitor.mocks.newResource = (args) => {
      providers.set(`${args.type}::${args.name}`, args.provider);
      return newResource(args);
    };
    compose = await import("../../stacks/project/compose.js");
    outputs = compose.composeProject(spec, zone);
    await settle(recorder);
  });

  it("refuses a spec meant for another zone", () => {
    expect(() => compose.composeProject({ ...spec, zone: "porto" }, zone)).toThrow(
      "project shop is for zone 'porto', but the zone given is 'lisbon'",
    );
  });

  it("makes one namespace, one claim per app, database and bucket, and one claim per volume", () => {
    const count = (type: string) => recorder.ofType(type).map((resource) => resource.name);
    expect(count("pluskube:index:TenantNamespace")).toEqual(["shop"]);
    expect(count("pluskube:index:AppClaim")).toEqual(["app-web", "app-api"]);
    expect(count("pluskube:index:ProjectDatabase")).toEqual(["database-main"]);
    expect(count("pluskube:index:ObjectBucket")).toEqual(["bucket-media"]);
    expect(count("kubernetes:core/v1:PersistentVolumeClaim")).toEqual(["shop-volume-data"]);
    expect(count("kubernetes:apps/v1:Deployment")).toEqual(["app-web-deployment"]);
    expect(count("kubernetes:serving.knative.dev/v1:Service")).toEqual(["app-api-knative-service"]);
    expect(count("pulumi:providers:kubernetes")).toEqual([
      "lisbon-kubernetes",
      "lisbon-kubernetes-create-only",
    ]);
    expect(count("pulumi:providers:postgresql")).toEqual(["lisbon-postgresql"]);
  });

  it("puts every namespaced object in the project's namespace and makes no other cluster-scoped one", () => {
    const kube = recorder.resources.filter((resource) => resource.type.startsWith("kubernetes:"));
    expect(kube.length).toBe(20);
    for (const resource of kube) {
      const metadata = resource.inputs.metadata as Obj;
      if (resource.type === "kubernetes:core/v1:Namespace") expect(metadata.name).toBe("shop");
      else expect({ [resource.name]: metadata.namespace }).toEqual({ [resource.name]: "shop" });
    }
  });

  it("registers the components at the root and every other resource under one of them", () => {
    for (const resource of recorder.resources) {
      const parent = recorder.parentTypeOf(resource.name);
      if (resource.type.startsWith("pluskube:") || resource.type.startsWith("pulumi:providers:")) {
        expect({ [resource.name]: parent }).toEqual({ [resource.name]: undefined });
      } else
        expect({ [resource.name]: parent }).toEqual({ [resource.name]: expect.stringMatching(/^pluskube:/) });
    }
  });

  it("hands the zone's providers down: Kubernetes objects to the cluster, roles to Postgres", () => {
    expect(providers.get("kubernetes:apps/v1:Deployment::app-web-deployment")).toMatch(
      /pulumi:providers:kubernetes::lisbon-kubernetes::/,
    );
    expect(providers.get("kubernetes:core/v1:Namespace::shop-namespace")).toMatch(
      /pulumi:providers:kubernetes::lisbon-kubernetes-create-only::/,
    );
    expect(providers.get("kubernetes:core/v1:Secret::database-main-secret")).toMatch(/lisbon-kubernetes/);
    expect(providers.get("postgresql:index/role:Role::database-main-role")).toMatch(
      /pulumi:providers:postgresql::lisbon-postgresql::/,
    );
  });

  it("creates the namespace through a provider of the same cluster with server-side apply off", () => {
    const kubernetes = inputsOf("pulumi:providers:kubernetes", "lisbon-kubernetes");
    const createOnly = inputsOf("pulumi:providers:kubernetes", "lisbon-kubernetes-create-only");

    expect(createOnly.kubeconfig).toEqual(kubernetes.kubeconfig);
    expect(createOnly.context).toBe(kubernetes.context);
    expect(String(createOnly.enableServerSideApply)).toBe("false");
  });

  it("reads the kubeconfig and its context, and the Postgres password from its file", () => {
    const kubernetes = inputsOf("pulumi:providers:kubernetes", "lisbon-kubernetes");
    expect(JSON.stringify(kubernetes.kubeconfig)).toContain("kind: Config");
    expect(kubernetes.context).toBe("pluskube-lisbon");
    const postgres = inputsOf("pulumi:providers:postgresql", "lisbon-postgresql");
    expect(postgres).toMatchObject({
      host: "postgres.lisbon.pluskube.org",
      port: "5432",
      username: "pluskube",
    });
    expect(JSON.stringify(postgres.password)).toContain("admin-password");
    expect(JSON.stringify(postgres.password)).not.toContain("admin-password\\n");
  });

  it("sets the namespace's quota from the spec plus one surge replica per app and the Knative sidecar", () => {
    // web: 2 chunks x (2 + 1) pods; api: 1 chunk x (3 + 1) pods + a one-chunk sidecar each.
    expect(
      (inputsOf("kubernetes:core/v1:ResourceQuota", "shop-quota").spec as { hard: Obj }).hard,
    ).toMatchObject({
      "requests.cpu": "3500m",
      "limits.memory": "7Gi",
      "requests.ephemeral-storage": "14Gi",
      "requests.storage": "10Gi",
      pods: "7",
      services: "14",
      persistentvolumeclaims: "1",
      secrets: "13",
      configmaps: "10",
      "services.nodeports": "0",
    });
  });

  it("lets in the ingress controller and Knative, and out to the zone's Postgres and S3", () => {
    const ingress = inputsOf(
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "shop-allow-ingress-controller",
    );
    expect(JSON.stringify(ingress.spec)).toContain('"ingress-nginx"');
    expect(JSON.stringify(ingress.spec)).toContain('"knative-serving"');
    const services = inputsOf("kubernetes:networking.k8s.io/v1:NetworkPolicy", "shop-allow-zone-services");
    expect((services.spec as Obj).egress).toEqual([
      { to: [{ ipBlock: { cidr: "10.0.3.7/32" } }], ports: [{ protocol: "TCP", port: 5432 }] },
      { to: [{ ipBlock: { cidr: "10.0.3.8/32" } }], ports: [{ protocol: "TCP", port: 8333 }] },
    ]);
  });

  it("gives each app its chunks, the zone's env under its own and its env for this zone", () => {
    const pod = (inputsOf("kubernetes:apps/v1:Deployment", "app-web-deployment").spec as { template: Obj })
      .template as { spec: { containers: Obj[]; volumes: Obj[] } };
    const container = pod.spec.containers[0] as Obj;
    expect(container.env).toEqual([
      { name: "GREETING", value: "app" },
      { name: "LOG_LEVEL", value: "warn" },
      { name: "PLUSKUBE_ZONE", value: "lisbon" },
    ]);
    expect(container.resources).toMatchObject({
      limits: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "2Gi" },
    });
    expect(pod.spec.volumes).toContainEqual({
      name: "volume-data",
      persistentVolumeClaim: { claimName: "data" },
    });
  });

  it("gives an app that uses every claim (the default) their credentials by reference to their Secrets", () => {
    const service = inputsOf("kubernetes:serving.knative.dev/v1:Service", "app-api-knative-service");
    const template = (service.spec as { template: { spec: { containers: Obj[] } } }).template;
    const env = template.spec.containers[0]?.env as Obj[];
    expect(env).toContainEqual({
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "database-main", key: "DATABASE_URL" } },
    });
    expect(env).toContainEqual({
      name: "AWS_SECRET_ACCESS_KEY",
      valueFrom: { secretKeyRef: { name: "bucket-media", key: "AWS_SECRET_ACCESS_KEY" } },
    });
    expect(env.filter((variable) => "valueFrom" in variable)).toHaveLength(12);
  });

  it("gives an app that uses no claim none of their credentials", () => {
    const pod = (inputsOf("kubernetes:apps/v1:Deployment", "app-web-deployment").spec as { template: Obj })
      .template as { spec: { containers: Obj[] } };
    expect(JSON.stringify(pod.spec.containers[0]?.env)).not.toContain("secretKeyRef");
  });

  it("writes DATABASE_URL for the host pods reach the database on", async () => {
    const secret = inputsOf("kubernetes:core/v1:Secret", "database-main-secret");
    expect(JSON.stringify(secret.stringData)).toContain("@10.0.3.7:5432/shop_main?sslmode=verify-full");
  });

  it("gives the bucket the zone's endpoint, region, quota master and admin keys", () => {
    const bucket = recorder.resources.find(
      (resource) =>
        resource.name.startsWith("bucket-media-") && resource.type.startsWith("pulumi-nodejs:dynamic"),
    );
    const text = JSON.stringify(bucket?.inputs);
    for (const expected of ["http://10.0.3.8:8333", "lisbon", "10.0.3.8:9333", "admin-key", "admin-secret"]) {
      expect(text).toContain(expected);
    }
  });

  it("returns the namespace, app addresses and the names of the claims' Secrets and volumes", async () => {
    expect(await promiseOf(outputs.namespace)).toBe("shop");
    expect(Object.keys(outputs.appUrls)).toEqual(["web", "api"]);
    expect(await promiseOf(outputs.appUrls.web as pulumi.Output<string>)).toMatch(
      /^https:\/\/[a-z0-9]{8}\.lisbon\.pluskube\.org$/,
    );
    expect(await promiseOf(outputs.appAllUrls.web as pulumi.Output<string[]>)).toContain(
      "https://shop.example.org",
    );
    expect(await promiseOf(outputs.databaseSecrets.main as pulumi.Output<string>)).toBe("database-main");
    expect(await promiseOf(outputs.bucketSecrets.media as pulumi.Output<string>)).toMatch(/media/);
    expect(await promiseOf(outputs.volumeClaims.data as pulumi.Output<string>)).toBe("data");
  });
});

describe("composeProject for a project without databases or buckets", () => {
  it("needs neither the Postgres password nor the S3 keys", async () => {
    const recorder = await installMocks({ stack: "blog.lisbon" });
    const files = mkdtempSync(join(tmpdir(), "pluskube-compose-unit-"));
    writeFileSync(join(files, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    const { composeProject } = await import("../../stacks/project/compose.js");

    composeProject(
      parseProjectSpec({
        project: "blog",
        zone: "lisbon",
        internetEgress: false,
        apps: [{ name: "site", image: "nginx:1.27" }],
      }),
      lisbon(files),
    );
    await settle(recorder);

    expect(recorder.ofType("pulumi:providers:postgresql")).toEqual([]);
    const policies = recorder
      .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
      .map((policy) => policy.name);
    expect(policies).not.toContain("blog-allow-internet");
    expect(policies).not.toContain("blog-allow-zone-services");
  });
});
