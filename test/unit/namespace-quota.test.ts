import { describe, expect, it } from "vitest";
import { parseProjectSpec, type ProjectSpecInput } from "../../spec/project.js";
import { loadZone } from "../../zones/index.js";
import { OBJECT_ALLOWANCE, namespaceQuota } from "../../stacks/project/namespace-quota.js";

const zone = loadZone("local");
const quotaOf = (spec: Omit<ProjectSpecInput, "zone">) =>
  namespaceQuota(parseProjectSpec({ zone: "local", ...spec }), zone);

describe("namespaceQuota", () => {
  it("gives an empty project nothing but the object allowance", () => {
    expect(quotaOf({ project: "empty" })).toEqual({
      cpu: "0",
      memory: "0",
      ephemeralStorage: "0",
      storage: "0",
      pods: 0,
      services: OBJECT_ALLOWANCE,
      persistentVolumeClaims: 0,
      secrets: OBJECT_ALLOWANCE,
      configMaps: OBJECT_ALLOWANCE,
      ingresses: 0,
      deployments: 0,
    });
  });

  it("adds one surge replica to an app's replicas", () => {
    const quota = quotaOf({
      project: "shop",
      apps: [{ name: "web", image: "nginx:1.27", replicas: 2, cpu: "1" }],
    });
    expect(quota).toMatchObject({ cpu: "3", memory: "1536Mi", ephemeralStorage: "3Gi", pods: 3 });
  });

  it("charges nothing for an app scaled to zero but keeps its Service", () => {
    const quota = quotaOf({ project: "shop", apps: [{ name: "web", image: "nginx:1.27", replicas: 0 }] });
    expect(quota).toMatchObject({ cpu: "0", pods: 0, services: 1 + OBJECT_ALLOWANCE });
  });

  it("counts persistent volumes as storage and claims, and leaves ephemeral ones out", () => {
    const quota = quotaOf({
      project: "shop",
      volumes: [
        { name: "data", size: "10Gi" },
        { name: "more", size: "512Mi" },
        { name: "scratch", size: "4Gi", kind: "ephemeral" },
      ],
    });
    expect(quota).toMatchObject({ storage: "10752Mi", persistentVolumeClaims: 2, ephemeralStorage: "0" });
  });

  it("makes room for a Secret per database and bucket", () => {
    const quota = quotaOf({
      project: "shop",
      databases: [{ name: "main", sizeGB: 1 }],
      buckets: [{ name: "media", sizeGB: 1 }],
    });
    expect(quota.secrets).toBe(2 + OBJECT_ALLOWANCE);
  });
});
