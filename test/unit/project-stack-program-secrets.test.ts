import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";

type Obj = Record<string, unknown>;

describe("the project stack's program with secret config", () => {
  let recorder: ResourceRecorder;
  const files = mkdtempSync(join(tmpdir(), "pluskube-program-secrets-"));

  beforeAll(async () => {
    writeFileSync(join(files, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
    const zoneFile = join(files, "lisbon.yaml");
    writeFileSync(
      zoneFile,
      readFileSync(join(import.meta.dirname, "../../zones/lisbon.yaml"), "utf8").replace(
        /^kubeconfig: .*$/m,
        `kubeconfig: ${join(files, "kubeconfig")}`,
      ),
    );
    recorder = await installMocks({ project: "pluskube-project", stack: "shop.lisbon" });
    const config = {
      spec: JSON.stringify({
        project: "shop",
        zone: "lisbon",
        apps: [{ name: "web", image: "registry.example.org/shop/web:1.4" }],
      }),
      zoneFile,
      // As `pulumi config set --secret --path 'secretEnv.web.API_KEY' …` hands it to the program.
      secretEnv: JSON.stringify({ web: { API_KEY: "k-from-config" } }),
      registries: JSON.stringify({
        "registry.example.org": { username: "ci", password: "pull-from-config" },
      }),
    };
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(config).map(([key, value]) => [`pluskube-project:${key}`, value])),
      ["pluskube-project:secretEnv", "pluskube-project:registries"],
    );
    await import("../../stacks/project/index.js");
    await settle(recorder);
  });

  it("writes the app's secret variable into its Secret as a Pulumi secret, and the app reads it from there", () => {
    const secret = recorder.one("kubernetes:core/v1:Secret", "app-web-secret-env").inputs;
    expect(secretValueOf(secret.stringData)).toEqual({ API_KEY: "k-from-config" });
    const deployment = recorder.one("kubernetes:apps/v1:Deployment", "app-web-deployment").inputs;
    const pod = (deployment.spec as { template: { spec: { containers: Obj[] } } }).template.spec;
    expect(pod.containers[0]?.env).toContainEqual({
      name: "API_KEY",
      valueFrom: { secretKeyRef: { name: "app-web-env", key: "API_KEY" } },
    });
  });

  it("writes the registry's login into the pull Secret as a Pulumi secret, which the app pulls with", () => {
    const secret = recorder.one("kubernetes:core/v1:Secret", "registry-credentials").inputs;
    const docker = (secretValueOf(secret.stringData) as Obj)[".dockerconfigjson"] as string;
    expect(JSON.parse(docker)).toMatchObject({
      auths: { "registry.example.org": { username: "ci", password: "pull-from-config" } },
    });
    const deployment = recorder.one("kubernetes:apps/v1:Deployment", "app-web-deployment").inputs;
    expect((deployment.spec as { template: { spec: Obj } }).template.spec.imagePullSecrets).toEqual([
      { name: "registry-credentials" },
    ]);
  });

  it("hands the values to nothing but those Secrets", () => {
    const holders = recorder.resources.filter((resource) =>
      /k-from-config|pull-from-config/.test(JSON.stringify(resource.inputs)),
    );
    expect(holders.map((resource) => resource.name).sort()).toEqual([
      "app-web-secret-env",
      "registry-credentials",
    ]);
  });
});

/**
 * The value of an input the engine received marked secret (Pulumi's RPC signature for secrets;
 * a secret inside a property marks the whole property); fails the test when it is not.
 */
function secretValueOf(input: unknown): unknown {
  expect(input).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
  return (input as Obj)["value"];
}
