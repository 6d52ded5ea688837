import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import { parseZoneSpec, type ZoneSpecInput } from "../../spec/zone.js";

const files = mkdtempSync(join(tmpdir(), "pluskube-zone-unit-"));

function zoneSpec(overrides: Partial<ZoneSpecInput> = {}) {
  return parseZoneSpec({
    name: "lisbon",
    kubeconfig: join(files, "kubeconfig"),
    context: "pluskube-lisbon",
    baseDomain: "lisbon.pluskube.org",
    ingressClass: "nginx",
    storageClass: "longhorn",
    certIssuer: "letsencrypt-prod",
    knative: true,
    runtimeClass: "gvisor",
    chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
    capacity: { cpu: "96", memory: "384Gi", disk: "4Ti", databaseGB: 500, objectGB: 4000 },
    reserve: { cpu: "8", memory: "32Gi", disk: "200Gi" },
    postgres: { host: "db", port: 5432, adminUser: "pluskube", passwordFile: join(files, "never-read") },
    s3: {
      endpoint: "https://s3.lisbon.pluskube.org",
      adminAccessKeyFile: join(files, "never-read"),
      adminSecretKeyFile: join(files, "never-read"),
    },
    ...overrides,
  });
}

describe("composeZone", () => {
  let recorder: ResourceRecorder;
  let compose: typeof import("../../stacks/zone/compose.js");
  let outputs: ReturnType<typeof compose.composeZone>;

  beforeAll(async () => {
    writeFileSync(join(files, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    recorder = await installMocks({ project: "pluskube-zone", stack: "lisbon" });
    compose = await import("../../stacks/zone/compose.js");
    outputs = compose.composeZone(zoneSpec());
    await settle(recorder);
  });

  it("creates the platform namespace, labelled as pluskube's and the zone's", () => {
    expect(recorder.one("kubernetes:core/v1:Namespace", "pluskube-system").inputs.metadata).toEqual({
      name: "pluskube-system",
      labels: { "app.kubernetes.io/managed-by": "pluskube", "pluskube.dev/zone": "lisbon" },
    });
  });

  it("publishes the zone's shared settings, without credentials, in a ConfigMap", () => {
    const settings = recorder.one("kubernetes:core/v1:ConfigMap", "lisbon-settings").inputs;
    expect(settings.metadata).toMatchObject({ name: "pluskube-zone", namespace: "pluskube-system" });
    expect(settings.data).toMatchObject({
      baseDomain: "lisbon.pluskube.org",
      "chunk.cpu": "250m",
      "chunk.memory": "512Mi",
      "capacity.cpu": "96",
      "capacity.objectGB": "4000",
      "reserve.memory": "32Gi",
      knative: "true",
      runtimeClass: "gvisor",
    });
    expect(JSON.stringify(settings.data)).not.toMatch(/never-read|pluskube@|password/i);
  });

  it("creates a tenant PriorityClass that never preempts and is not the cluster default", () => {
    expect(
      recorder.one("kubernetes:scheduling.k8s.io/v1:PriorityClass", "pluskube-tenant").inputs,
    ).toMatchObject({
      metadata: { name: "pluskube-tenant" },
      value: 0,
      globalDefault: false,
      preemptionPolicy: "Never",
    });
  });

  it("creates the zone's RuntimeClass with a handler of the same name", async () => {
    expect(recorder.one("kubernetes:node.k8s.io/v1:RuntimeClass", "lisbon-runtime").inputs).toMatchObject({
      metadata: { name: "gvisor" },
      handler: "gvisor",
    });
    expect(await promiseOf(outputs.runtimeClass as NonNullable<typeof outputs.runtimeClass>)).toBe("gvisor");
  });

  it("reaches the cluster through the zone's kubeconfig and context", () => {
    const provider = recorder.one("pulumi:providers:kubernetes", "lisbon-kubernetes").inputs;
    expect(provider.context).toBe("pluskube-lisbon");
    expect(JSON.stringify(provider.kubeconfig)).toContain("kind: Config");
  });

  it("reports the names of what it made", async () => {
    expect(await promiseOf(outputs.platformNamespace)).toBe("pluskube-system");
    expect(await promiseOf(outputs.settingsConfigMap)).toBe("pluskube-zone");
    expect(await promiseOf(outputs.tenantPriorityClass)).toBe("pluskube-tenant");
  });

  it("makes no RuntimeClass for a zone without one", async () => {
    const local = await installMocks({ project: "pluskube-zone", stack: "porto" });
    const result = compose.composeZone(zoneSpec({ name: "porto", runtimeClass: undefined }));
    await settle(local);
    expect(local.ofType("kubernetes:node.k8s.io/v1:RuntimeClass")).toEqual([]);
    expect(result.runtimeClass).toBeUndefined();
  });
});
