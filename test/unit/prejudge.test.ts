import { describe, expect, it } from "vitest";
import { prejudge } from "../../automation-api/domain/prejudge.js";
import type { PolicyContext } from "../../automation-api/runner/runner.js";
import { parseProjectSpec } from "../../spec/project.js";
import { loadZone } from "../../zones/index.js";

const zone = loadZone("local");
const policy = (allowedRegistries: string[]): PolicyContext => ({
  share: {},
  namespace: "shop",
  baseDomain: zone.baseDomain,
  verifiedDomains: [],
  requireTls: false,
  allowedRegistries,
});
const spec = parseProjectSpec({
  project: "shop",
  zone: zone.name,
  apps: [
    { name: "web", image: "ghcr.io/shop/web:1.0" },
    { name: "cache", image: "redis:7" },
  ],
});

describe("the service's judgement before a run", () => {
  it("lets any registry through when the zone allows all", () => {
    expect(prejudge(spec, zone, policy([]))).toBeUndefined();
  });

  it("names every app whose image the pack's image-registries rule would refuse", () => {
    expect(prejudge(spec, zone, policy(["ghcr.io"]))).toBe(
      "image-registries: apps.cache.image 'redis:7' comes from docker.io/library/redis, which is not allowed; allowed: ghcr.io",
    );
  });

  it("refuses a registry named by an address, as the pack does", () => {
    const byAddress = parseProjectSpec({
      project: "shop",
      zone: zone.name,
      apps: [{ name: "web", image: "10.0.0.5:5000/web:1" }],
    });

    expect(prejudge(byAddress, zone, policy([]))).toMatch(/^image-registries: apps\.web\.image: /);
  });
});
