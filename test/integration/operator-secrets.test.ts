/**
 * README "Running a zone", secret values of an operator's project stack: the stack program
 * (`stacks/project`, compiled) run by the real engine through the CLI as an operator types it,
 * with an app's secret variable set by `pulumi config set --secret --path` and a registry's
 * login by `pulumi config set --secret`. The cluster gets the values in Secrets; the stack's
 * config file and its state hold them only encrypted. Its app is routed to the simulated
 * nodes: what is checked stops at the API server and the state.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../localzone/paths.js";
import { simulatedZone } from "../../localzone/zone.js";
import { stackName } from "../../spec/project.js";
import { kubeGet } from "./helpers/local-zone.js";
import { uniqueProject } from "./helpers/project-stack.js";

const zone = simulatedZone();
const stackDir = join(repoRoot, "stacks", "project");
const scratch = mkdtempSync(join(tmpdir(), "pluskube-operator-secrets-"));
const project = uniqueProject("it-opsec");
const stack = stackName(project, zone.name);
/** Pulumi's mark of a secret value in a stack's exported state. */
const SECRET_SIG = '"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270"';

const apiKey = `api-${uniqueProject("key")}`;
const rotatedKey = `api-${uniqueProject("rotated")}`;
const pullPassword = `pull-${uniqueProject("pw")}`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly output: string;
}

/** `pulumi ARGS` as the operator types it in `stacks/project`, with the local zone's engine. */
function pulumi(...args: string[]): Run {
  const run = spawnSync("npm", ["run", "--silent", "pulumi", "--", ...args], {
    cwd: stackDir,
    env: { ...process.env, CI: "true" },
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: run.status, stdout: run.stdout, output: `${run.stdout}${run.stderr}` };
}

function mustRun(...args: string[]): string {
  const run = pulumi(...args);
  if (run.code !== 0) throw new Error(`pulumi ${args.slice(0, 3).join(" ")} … failed: ${run.output}`);
  return run.stdout;
}

interface KubeSecret {
  readonly data: Record<string, string>;
}

const decoded = (secret: KubeSecret, key: string) =>
  Buffer.from(secret.data[key] ?? "", "base64").toString("utf8");

describe("an operator's project stack with secret config", () => {
  beforeAll(() => {
    const specFile = join(scratch, `${project}.yaml`);
    writeFileSync(
      specFile,
      [
        `project: ${project}`,
        `zone: ${zone.name}`,
        "apps: [{ name: web, image: registry.example.org/shop/web:1.4, chunks: 1, port: 8080 }]",
        "",
      ].join("\n"),
    );
    // The local zone with its apps on the simulated nodes, as a zone file the stack reads.
    const zoneFile = join(scratch, "zone.yaml");
    writeFileSync(zoneFile, stringify(zone));
    mustRun("stack", "init", stack);
    mustRun("config", "set", "specFile", specFile, "--stack", stack);
    mustRun("config", "set", "zoneFile", zoneFile, "--stack", stack);
    mustRun("config", "set", "--secret", "--path", "secretEnv.web.API_KEY", apiKey, "--stack", stack);
    mustRun(
      "config",
      "set",
      "--secret",
      "registries",
      JSON.stringify({ "registry.example.org": { username: "ci", password: pullPassword } }),
      "--stack",
      stack,
    );
  });

  afterAll(() => {
    pulumi("destroy", "--yes", "--stack", stack);
    pulumi("stack", "rm", "--yes", "--force", "--stack", stack);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("keeps the values encrypted in the stack's config file", () => {
    const file = readFileSync(join(stackDir, `Pulumi.${stack}.yaml`), "utf8");

    expect(file).toMatch(/secure:/);
    expect(file).not.toContain(apiKey);
    expect(file).not.toContain(pullPassword);
  });

  it("writes the secret variable and the registry's login into the namespace's Secrets", async () => {
    const run = pulumi("up", "--yes", "--stack", stack);
    expect(run.code, run.output).toBe(0);

    const env = await kubeGet<KubeSecret>(`/api/v1/namespaces/${project}/secrets/app-web-env`);
    expect(decoded(env, "API_KEY")).toBe(apiKey);
    const pull = await kubeGet<KubeSecret & { type: string }>(
      `/api/v1/namespaces/${project}/secrets/registry-credentials`,
    );
    expect(pull.type).toBe("kubernetes.io/dockerconfigjson");
    expect(JSON.parse(decoded(pull, ".dockerconfigjson"))).toMatchObject({
      auths: { "registry.example.org": { username: "ci", password: pullPassword } },
    });
    const deployment = await kubeGet<{
      spec: {
        template: { spec: { imagePullSecrets?: { name: string }[]; containers: { env?: unknown[] }[] } };
      };
    }>(`/apis/apps/v1/namespaces/${project}/deployments/web`);
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    expect(deployment.spec.template.spec.containers[0]?.env).toContainEqual({
      name: "API_KEY",
      valueFrom: { secretKeyRef: { name: "app-web-env", key: "API_KEY" } },
    });
  });

  it("holds the values in the stack's state only as secrets", async () => {
    const state = mustRun("stack", "export", "--stack", stack);
    const revealed = mustRun("stack", "export", "--show-secrets", "--stack", stack);
    // The provider keeps a Secret's values base64-encoded, as its `data`.
    const pull = await kubeGet<KubeSecret>(`/api/v1/namespaces/${project}/secrets/registry-credentials`);
    const dockerConfig = pull.data[".dockerconfigjson"] ?? "";
    const held = [Buffer.from(apiKey).toString("base64"), dockerConfig];

    // Booleans only: a failing comparison would print the state, the zone's kubeconfig with it.
    for (const text of [apiKey, pullPassword, ...held]) {
      expect(state.includes(text), "the exported state holds a secret value in plain text").toBe(false);
    }
    // The values are in the state nonetheless, as secrets only the stack's passphrase opens.
    for (const text of held) expect(revealed.includes(text), "a value is missing from the state").toBe(true);
    const resources = (
      JSON.parse(state) as {
        deployment: { resources: { type: string; urn: string; inputs?: unknown; outputs?: unknown }[] };
      }
    ).deployment.resources;
    const secrets = resources.filter(
      (resource) =>
        resource.type === "kubernetes:core/v1:Secret" &&
        /::(app-web-secret-env|registry-credentials)$/.test(resource.urn),
    );
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(JSON.stringify(secret.inputs).replace(/\s/g, "")).toContain(SECRET_SIG);
      expect(JSON.stringify(secret.outputs).replace(/\s/g, "")).toContain(SECRET_SIG);
    }
  });

  it("rolls the app out when the operator rotates the variable", async () => {
    const template = async () =>
      (
        await kubeGet<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(
          `/apis/apps/v1/namespaces/${project}/deployments/web`,
        )
      ).spec.template.metadata.annotations ?? {};
    const before = await template();
    mustRun("config", "set", "--secret", "--path", "secretEnv.web.API_KEY", rotatedKey, "--stack", stack);

    const run = pulumi("up", "--yes", "--stack", stack);

    expect(run.code, run.output).toBe(0);
    const env = await kubeGet<KubeSecret>(`/api/v1/namespaces/${project}/secrets/app-web-env`);
    expect(decoded(env, "API_KEY")).toBe(rotatedKey);
    const after = await template();
    expect(after["pluskube.dev/secret-env-checksum"]).toBeDefined();
    expect(after["pluskube.dev/secret-env-checksum"]).not.toBe(before["pluskube.dev/secret-env-checksum"]);
  });
});
