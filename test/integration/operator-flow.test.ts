/**
 * README "Running a zone", project stacks, as an operator types it on the local zone: a
 * ProjectSpec file, `pulumi stack init`, `pulumi config set specFile`, the pack's config from
 * `npm run policy-config`, then `pulumi up --policy-pack … --policy-pack-config …`, with the
 * CLI as `npm run pulumi --`. A spec the pack refuses creates nothing. The stack reads the
 * zone file, so its app runs on the zone's real node: the image is one the zone builds itself.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../localzone/paths.js";
import { localImage } from "../../localzone/images.js";
import { localZone } from "../../localzone/zone.js";
import { stackName } from "../../spec/project.js";
import { kubeGet, kubeSend } from "./helpers/local-zone.js";
import { uniqueProject } from "./helpers/project-stack.js";

const zone = localZone();
const stackDir = join(repoRoot, "stacks", "project");
const scratch = mkdtempSync(join(tmpdir(), "pluskube-operator-"));

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** One command as the operator types it, from `stacks/project`. */
function npm(...args: string[]): Run {
  const run = spawnSync("npm", ["run", "--silent", ...args], {
    cwd: stackDir,
    env: { ...process.env, CI: "true" },
    encoding: "utf8",
    timeout: 600_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Writes a ProjectSpec file and the pack's config derived from it, as the README says. */
function prepare(project: string, spec: string): { specFile: string; policyFile: string } {
  const specFile = join(scratch, `${project}.yaml`);
  writeFileSync(specFile, spec);
  const config = npm("policy-config", "--", specFile);
  if (config.code !== 0) throw new Error(`policy-config failed: ${config.output}`);
  const policyFile = join(scratch, `${project}.policy.json`);
  writeFileSync(policyFile, config.output);
  return { specFile, policyFile };
}

function initStack(stack: string, specFile: string): void {
  for (const args of [
    ["stack", "init", stack],
    ["config", "set", "specFile", specFile, "--stack", stack],
  ]) {
    const run = npm("pulumi", "--", ...args);
    if (run.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed: ${run.output}`);
  }
}

const up = (stack: string, policyFile: string): Run =>
  npm(
    "pulumi",
    "--",
    "up",
    "--yes",
    "--stack",
    stack,
    "--policy-pack",
    "../../policy",
    "--policy-pack-config",
    policyFile,
  );

describe("an operator's project stack, as the README runs it", () => {
  const project = uniqueProject("it-op");
  const refused = uniqueProject("it-op-big");
  const stacks = [stackName(project, zone.name), stackName(refused, zone.name)];

  afterAll(() => {
    for (const stack of stacks) {
      const destroy = npm("pulumi", "--", "destroy", "--yes", "--stack", stack);
      if (destroy.code !== 0) console.warn(`destroying ${stack} failed:\n${destroy.output}`);
      npm("pulumi", "--", "stack", "rm", "--yes", "--force", "--stack", stack);
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it("deploys an app with an Ingress, a database and a volume under the pack", async () => {
    const { specFile, policyFile } = prepare(
      project,
      [
        `project: ${project}`,
        `zone: ${zone.name}`,
        "apps:",
        `  - { name: web, image: ${localImage("echo").ref}, chunks: 1, port: 8080, volumes: [{ volume: data, mountPath: /data }] }`,
        "databases: [{ name: main, sizeGB: 1 }]",
        "volumes: [{ name: data, size: 1Gi }]",
        "",
      ].join("\n"),
    );
    initStack(stacks[0] ?? "", specFile);

    const run = up(stacks[0] ?? "", policyFile);

    expect(run.code, run.output).toBe(0);
    const deployment = await kubeGet<{ metadata: { name: string } }>(
      `/apis/apps/v1/namespaces/${project}/deployments/web`,
    );
    expect(deployment.metadata.name).toBe("web");
    const ingresses = await kubeGet<{ items: unknown[] }>(
      `/apis/networking.k8s.io/v1/namespaces/${project}/ingresses`,
    );
    expect(ingresses.items).toHaveLength(1);
  });

  it("refuses a spec beyond the zone in preview, before anything is created", async () => {
    const { specFile, policyFile } = prepare(
      refused,
      [
        `project: ${refused}`,
        `zone: ${zone.name}`,
        "apps: [{ name: web, image: ghcr.io/shop/web:1.4, chunks: 16, replicas: 10, port: 8080 }]",
        "",
      ].join("\n"),
    );
    initStack(stacks[1] ?? "", specFile);

    const run = up(stacks[1] ?? "", policyFile);

    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/tenant-quota/);
    expect((await kubeSend("GET", `/api/v1/namespaces/${refused}`)).status).toBe(404);
  });
});
