import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import type { TenantNamespaceArgs, TenantQuota } from "../../components/tenant-namespace/index.js";

const quota: TenantQuota = {
  cpu: "1",
  memory: "2Gi",
  ephemeralStorage: "4Gi",
  storage: "0",
  pods: 4,
  services: 10,
  persistentVolumeClaims: 0,
  secrets: 10,
  configMaps: 10,
  ingresses: 2,
  deployments: 2,
};

let valid: TenantNamespaceArgs;

describe("validateTenantNamespaceArgs", () => {
  let mod: typeof import("../../components/tenant-namespace/index.js");
  let recorder: ResourceRecorder;

  beforeAll(async () => {
    recorder = await installMocks();
    mod = await import("../../components/tenant-namespace/index.js");
    valid = {
      project: "shop",
      quota,
      namespaceProvider: mod.createOnlyKubernetesProvider("create-only", {}),
    };
  });

  it("accepts a quota of zero storage and zero claims", () => {
    expect(() => mod.validateTenantNamespaceArgs(valid)).not.toThrow();
  });

  it.each<[string, Partial<TenantNamespaceArgs>, string]>([
    ["a project name with uppercase", { project: "Shop" }, "project must be a DNS label"],
    ["an empty project name", { project: "" }, 'at most 63 characters, got ""'],
    ["a negative cpu quota", { quota: { ...quota, cpu: "-1" } }, "quota.cpu must be a quantity of 0 or more"],
    ["a malformed memory quota", { quota: { ...quota, memory: "2 GB" } }, "quota.memory must be"],
    [
      "a negative pod count",
      { quota: { ...quota, pods: -1 } },
      "quota.pods must be a whole number from 0 to 100000",
    ],
    [
      "a fractional secret count",
      { quota: { ...quota, secrets: 1.5 } },
      "quota.secrets must be a whole number",
    ],
    [
      "a zero default cpu",
      { containerDefaults: { cpu: "0", memory: "1Gi", disk: "1Gi" } },
      "containerDefaults.cpu",
    ],
    [
      "a malformed default memory",
      { containerDefaults: { cpu: "1", memory: "lots", disk: "1Gi" } },
      "containerDefaults.memory",
    ],
    [
      "a default disk in millibytes",
      { containerDefaults: { cpu: "1", memory: "1Gi", disk: "1m" } },
      "containerDefaults.disk",
    ],
    [
      "an ingress namespace with a dot",
      { ingressNamespaces: ["ingress.nginx"] },
      "ingressNamespaces[0] must be a DNS label",
    ],
    [
      "a service egress address that is not a range",
      { serviceEgress: [{ cidr: "10.0.0.1", port: 5432 }] },
      "serviceEgress[0].cidr",
    ],
    [
      "a DNS address given as a range",
      { dnsAddresses: ["169.254.20.10/32"] },
      "dnsAddresses[0] must be an IP address",
    ],
    [
      "a service egress port of 0",
      { serviceEgress: [{ cidr: "10.0.0.1/32", port: 0 }] },
      "serviceEgress[0].port must be a TCP port",
    ],
    [
      "a volume name with an underscore",
      { volumes: [{ name: "my_data", size: "1Gi" }] },
      "volumes[0].name must be a DNS label",
    ],
    [
      "a negative volume size",
      { volumes: [{ name: "data", size: "-1Gi" }] },
      "volumes[0].size must be a positive size",
    ],
    [
      "two volumes of one name",
      {
        volumes: [
          { name: "data", size: "1Gi" },
          { name: "data", size: "2Gi" },
        ],
      },
      "volumes[1].name must be unique",
    ],
    ["a storage class with uppercase", { storageClass: "Standard" }, "storageClass must be a DNS label"],
    [
      "a zone range that is not a range",
      { zoneRanges: ["203.0.113.7"] },
      "zoneRanges[0] must be an address range",
    ],
    [
      "a zone range of every address",
      { zoneRanges: ["0.0.0.0/0"] },
      "zoneRanges[0] must be an address range",
    ],
  ])("refuses %s, naming the argument", (_case, patch, message) => {
    const act = () => mod.validateTenantNamespaceArgs({ ...valid, ...patch });
    expect(act).toThrow(pulumi.ResourceError);
    expect(act).toThrow(message);
  });

  it("refuses a namespace provider that would adopt an existing namespace (server-side apply on)", async () => {
    const k8s = await import("@pulumi/kubernetes");
    const adopting = new k8s.Provider("adopting", {});

    const act = () => mod.validateTenantNamespaceArgs({ ...valid, namespaceProvider: adopting });

    expect(act).toThrow(pulumi.ResourceError);
    expect(act).toThrow("namespaceProvider must be a provider made by createOnlyKubernetesProvider()");
  });

  it("refuses a missing namespace provider", () => {
    const { namespaceProvider: _omitted, ...rest } = valid;
    expect(() => mod.validateTenantNamespaceArgs(rest as TenantNamespaceArgs)).toThrow("namespaceProvider");
  });

  it("refuses a missing quota", () => {
    expect(() => mod.validateTenantNamespaceArgs({ project: "shop" } as TenantNamespaceArgs)).toThrow(
      "quota is required",
    );
  });

  it("accepts IPv6 service egress ranges", () => {
    expect(() =>
      mod.validateTenantNamespaceArgs({ ...valid, serviceEgress: [{ cidr: "fd00::10/128", port: 8333 }] }),
    ).not.toThrow();
  });

  it("creates no child when validation fails", async () => {
    expect(() => new mod.TenantNamespace("broken", { ...valid, project: "Broken" })).toThrow(
      "project must be",
    );
    await settle(recorder);
    expect(recorder.resources.filter((resource) => resource.name.startsWith("broken-"))).toEqual([]);
  });
});
