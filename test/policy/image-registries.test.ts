import { describe, expect, it } from "vitest";
import { imageRegistries } from "../../policy/rules/image-registries.js";
import { container, deployment, podSpec, workload, WORKLOADS } from "./fixtures.js";
import { messages, validateResource } from "./harness.js";

function withImage(image: string) {
  return deployment({ spec: podSpec({ containers: [container({ image })] }) });
}

async function violations(image: string, allowed: string[]): Promise<string[]> {
  return messages(await validateResource(imageRegistries, withImage(image), { allowed }));
}

describe("image-registries", () => {
  it.each(WORKLOADS)("accepts a %s whose image comes from an allowed registry", async (kind) => {
    const outcome = await validateResource(imageRegistries, workload(kind), { allowed: ["ghcr.io"] });

    expect(outcome.violations).toEqual([]);
  });

  it("allows every registry without config", async () => {
    expect(messages(await validateResource(imageRegistries, withImage("quay.io/evil/miner:1")))).toEqual([]);
  });

  it("allows every registry when the list is empty", async () => {
    expect(await violations("quay.io/evil/miner:1", [])).toEqual([]);
  });

  it("refuses an image from a registry not on the list", async () => {
    expect(await violations("quay.io/evil/miner:1", ["ghcr.io", "registry.zone.example.org"])).toEqual([
      "spec.template.spec.containers[0].image 'quay.io/evil/miner:1' comes from quay.io/evil/miner, which is not allowed; allowed: ghcr.io, registry.zone.example.org",
    ]);
  });

  it("counts an image without a registry as Docker Hub", async () => {
    expect(await violations("nginx:1.27", ["ghcr.io"])).toEqual([
      "spec.template.spec.containers[0].image 'nginx:1.27' comes from docker.io/library/nginx, which is not allowed; allowed: ghcr.io",
    ]);
  });

  it.each(["nginx:1.27", "docker.io/library/nginx:1.27", "index.docker.io/library/nginx"])(
    "allows %s when docker.io is allowed",
    async (image) => {
      expect(await violations(image, ["docker.io"])).toEqual([]);
    },
  );

  it("allows a registry path and the repositories under it only", async () => {
    expect(await violations("ghcr.io/shop/web:1.0", ["ghcr.io/shop"])).toEqual([]);
    expect(await violations("ghcr.io/shopping/web:1.0", ["ghcr.io/shop"])).toHaveLength(1);
  });

  it("tells a registry port apart", async () => {
    expect(await violations("registry.example.org:5000/web:1", ["registry.example.org:5001"])).toHaveLength(
      1,
    );
    expect(await violations("registry.example.org:5000/web:1", ["registry.example.org:5000"])).toEqual([]);
  });

  it("refuses a reference that is not an image reference", async () => {
    expect(await violations("Registry.Example.org/web", ["ghcr.io"])).toEqual([
      "spec.template.spec.containers[0].image 'Registry.Example.org/web' is not an image reference such as ghcr.io/team/app:1.0",
    ]);
  });

  it("checks init and ephemeral containers", async () => {
    const spec = podSpec({
      initContainers: [container({ name: "setup", image: "quay.io/tools/setup:1" })],
      ephemeralContainers: [{ name: "debug", image: "busybox:1.36" }],
    });

    const outcome = await validateResource(imageRegistries, deployment({ spec }), { allowed: ["ghcr.io"] });

    expect(messages(outcome)).toEqual([
      expect.stringMatching(/^spec\.template\.spec\.initContainers\[0\]\.image 'quay\.io\/tools\/setup:1'/),
      expect.stringMatching(/^spec\.template\.spec\.ephemeralContainers\[0\]\.image 'busybox:1\.36'/),
    ]);
  });
});
