import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

/**
 * The service judges what the policy pack's verdict on a stack depends on before it runs the
 * engine: a refusal then comes before anything of the stack exists, and a stack it lets through
 * runs in one engine pass.
 */

let service: TestService;
let ana: string;

beforeAll(async () => {
  service = await TestService.start({ jobs: { allowedRegistries: ["ghcr.io"] } });
  ana = await service.user("ana");
  await service.project(ana, "shop");
});
afterAll(async () => {
  await service.close();
});

describe("a run the service judges first", () => {
  it("refuses an image from a registry the zone does not allow, without running the engine", async () => {
    const before = service.runner.ups("shop.testzone").length;

    const accepted = await service.put<{ id: string }>("/v1/projects/shop/apps/web", ana, {
      image: "nginx:1.27",
    });
    const operation = await service.settle(ana, accepted.body.id);

    expect(operation.status).toBe("failed");
    expect(operation.message).toContain(
      "image-registries: apps.web.image 'nginx:1.27' comes from docker.io/library/nginx, which is not allowed; allowed: ghcr.io",
    );
    expect(service.runner.ups("shop.testzone")).toHaveLength(before);
  });

  it("runs a stack within the rules in one engine pass", async () => {
    const accepted = await service.put<{ id: string }>("/v1/projects/shop/apps/web", ana, {
      image: "ghcr.io/shop/web:1.0",
    });
    const operation = await service.settle(ana, accepted.body.id);

    expect(operation.status).toBe("succeeded");
    expect(service.runner.ups("shop.testzone").at(-1)).toMatchObject({ prejudged: true });
  });
});
