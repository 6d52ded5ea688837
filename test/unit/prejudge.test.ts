import { describe, expect, it } from "vitest";
import { prejudge } from "../../automation-api/domain/prejudge.js";
import type { PolicyContext } from "../../automation-api/runner/runner.js";
import { parseProjectSpec, projectUsage } from "../../spec/project.js";
import { loadZone } from "../../zones/index.js";

const zone = loadZone("local");
const spec = parseProjectSpec({
  project: "shop",
  zone: zone.name,
  verifiedDomains: ["shop.example.org"],
  apps: [
    { name: "web", image: "ghcr.io/shop/web:1.0", customDomains: ["shop.example.org"] },
    { name: "cache", image: "redis:7" },
  ],
  volumes: [{ name: "data", size: "2Gi" }],
});
const usage = projectUsage(spec, zone);
const policy = (overrides: Partial<PolicyContext> = {}): PolicyContext => ({
  share: {
    cpuMillis: usage.cpuMillis,
    memoryBytes: usage.memoryBytes,
    diskBytes: usage.diskBytes,
    storageBytes: usage.storageBytes,
  },
  namespace: "shop",
  baseDomain: zone.baseDomain,
  verifiedDomains: ["shop.example.org"],
  requireTls: false,
  allowedRegistries: [],
  ...overrides,
});

describe("what the pack would say of a stack, known from its spec", () => {
  it("is a pass for a spec that fills its share exactly, from any registry, on its verified domains", () => {
    expect(prejudge(spec, zone, policy())).toBeUndefined();
  });

  it("is not known once the share is smaller than what the spec asks", () => {
    const smaller = policy({ share: { ...policy().share, storageBytes: 0 } });

    expect(prejudge(spec, zone, smaller)).toBe(
      "tenant-quota: the spec asks more than the share in storageBytes",
    );
  });

  it("names every app whose image the pack's image-registries rule would refuse", () => {
    expect(prejudge(spec, zone, policy({ allowedRegistries: ["ghcr.io"] }))).toBe(
      "image-registries: apps.cache.image 'redis:7' comes from docker.io/library/redis, which is not allowed; allowed: ghcr.io",
    );
  });

  it("is not known for a custom domain the pack is not told is verified", () => {
    expect(prejudge(spec, zone, policy({ verifiedDomains: [] }))).toBe(
      "ingress-hosts: not verified: shop.example.org",
    );
  });
});
