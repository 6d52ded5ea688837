import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService, testZone } from "../harness.js";

/**
 * Finding 8 (registries): images could come from any registry, IP literals and localhost
 * included, which the node pulls from outside any NetworkPolicy. The service refuses, with
 * 422, a registry named by an address unless the zone allows that registry by name.
 */

type Problem = { type: string; detail: string; errors: { path: string; message: string }[] };

let service: TestService;
let ana: string;

beforeAll(async () => {
  service = await TestService.start({
    zones: [testZone("testzone", { addressRegistries: ["10.0.3.9:5000"] })],
  });
  ana = await service.user("ana");
  await service.project(ana, "shop");
});
afterAll(async () => {
  await service.close();
});

describe("an app's image from a registry named by an address", () => {
  it.each([
    ["localhost", "localhost:5000/shop/web:1.0"],
    ["a subdomain of localhost", "registry.localhost/web:1.0"],
    ["a private IPv4 literal", "10.0.0.7:5000/web:1.0"],
    ["a link-local address", "169.254.169.254/web:1.0"],
    ["a loopback address", "127.0.0.1:5000/web:1.0"],
    ["an address in hex, as the resolver reads it", "0x7f.1:5000/web:1.0"],
  ])("is refused with 422 when it is %s", async (_case, image) => {
    const response = await service.put<Problem>("/v1/projects/shop/apps/web", ana, { image });

    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(response.body.type).toBe("urn:pluskube:problem:registry-not-allowed");
    expect(response.body.errors).toEqual([
      { path: "apps.web.image", message: expect.stringContaining("which is an address") },
    ]);
    expect(response.body.detail).toContain("10.0.3.9:5000");
  });

  it("is refused with 422 when a PATCH moves an app onto it", async () => {
    const created = await service.put<{ id: string }>("/v1/projects/shop/apps/api", ana, {
      image: "ghcr.io/team/api:1.0",
    });
    await service.settle(ana, created.body.id);

    const response = await service.patch<Problem>("/v1/projects/shop/apps/api", ana, {
      image: "192.168.1.20:5000/api:1.1",
    });

    expect(response.status).toBe(422);
    expect(response.body.type).toBe("urn:pluskube:problem:registry-not-allowed");
    const app = await service.get<{ image: string }>("/v1/projects/shop/apps/api", ana);
    expect(app.body.image).toBe("ghcr.io/team/api:1.0");
  });

  it("is accepted when the zone allows that registry by name", async () => {
    const response = await service.put("/v1/projects/shop/apps/mirror", ana, {
      image: "10.0.3.9:5000/team/app:1.0",
    });

    expect(response.status).toBe(202);
  });

  it("leaves registries named by DNS names as they were", async () => {
    const hub = await service.put("/v1/projects/shop/apps/hub", ana, { image: "nginx:1.27" });
    const ghcr = await service.put("/v1/projects/shop/apps/gh", ana, { image: "ghcr.io/team/app:2" });

    expect(hub.status).toBe(202);
    expect(ghcr.status).toBe(202);
  });
});
