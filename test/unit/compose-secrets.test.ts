import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import { parseProjectSpec } from "../../spec/project.js";
import { lisbonZoneSpec } from "./fixtures/project-specs.js";

type Obj = Record<string, unknown>;
type Template = { metadata: { annotations?: Record<string, string> }; spec: { containers: Obj[] } & Obj };

const spec = parseProjectSpec({
  project: "shop",
  zone: "lisbon",
  apps: [
    { name: "web", image: "ghcr.io/shop/web:1.4" },
    { name: "worker", image: "ghcr.io/shop/worker:1.4" },
  ],
});

describe("composeProject with secret values", () => {
  let recorder: ResourceRecorder;
  const files = mkdtempSync(join(tmpdir(), "pluskube-compose-secrets-"));

  const template = (name: string) =>
    (recorder.one("kubernetes:apps/v1:Deployment", name).inputs.spec as { template: Template }).template;

  beforeAll(async () => {
    writeFileSync(join(files, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    recorder = await installMocks({ stack: "shop.lisbon" });
    const compose = await import("../../stacks/project/compose.js");
    compose.composeProject(spec, lisbonZoneSpec(files), {
      env: { web: { API_KEY: "k1" } },
      registries: [{ server: "registry.example.org", username: "ci", password: "pull-pass" }],
    });
    await settle(recorder);
  });

  it("writes an app's secret variables into its own Secret and reads them from there", () => {
    const secret = recorder.one("kubernetes:core/v1:Secret", "app-web-secret-env").inputs;
    expect((secret.metadata as Obj).name).toBe("app-web-env");
    expect(template("app-web-deployment").spec.containers[0]?.env).toContainEqual({
      name: "API_KEY",
      valueFrom: { secretKeyRef: { name: "app-web-env", key: "API_KEY" } },
    });
  });

  it("annotates only that app's pod template with the checksum that rolls it on rotation", () => {
    expect(template("app-web-deployment").metadata.annotations).toHaveProperty([
      "pluskube.dev/secret-env-checksum",
    ]);
    expect(template("app-worker-deployment").metadata.annotations).toBeUndefined();
  });

  it("hands the value to nothing but the Secret", () => {
    const holders = recorder.resources.filter((resource) => JSON.stringify(resource.inputs).includes("k1"));
    expect(holders.map((resource) => resource.name)).toEqual(["app-web-secret-env"]);
  });

  it("writes the registries' credentials into one dockerconfigjson Secret of the namespace", () => {
    const secret = recorder.one("kubernetes:core/v1:Secret", "registry-credentials").inputs;
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    expect((secret.metadata as Obj).name).toBe("registry-credentials");
    expect(JSON.stringify(secret.stringData)).toContain(".dockerconfigjson");
    const holders = recorder.resources.filter((resource) =>
      JSON.stringify(resource.inputs).includes("pull-pass"),
    );
    expect(holders.map((resource) => resource.name)).toEqual(["registry-credentials"]);
  });

  it("has every app pull its image with that Secret", () => {
    for (const app of ["app-web-deployment", "app-worker-deployment"]) {
      expect(template(app).spec.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    }
  });

  it("makes room in the namespace's quota for the app's and the registries' Secrets", () => {
    const quota = recorder.ofType("kubernetes:core/v1:ResourceQuota")[0]?.inputs.spec as {
      hard: Record<string, unknown>;
    };
    // The allowance of 10, a TLS Secret per app (the zone has an issuer), the secret variables'
    // and the registries'.
    expect(String(quota.hard["secrets"])).toBe("14");
  });
});
