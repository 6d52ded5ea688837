import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  LocalWorkspace,
  type PreviewResult,
  type Stack,
  type UpResult,
} from "@pulumi/pulumi/automation/index.js";
import { policyConfigFor, type ProjectPolicyInput } from "../../../policy/config.js";
import { repoRoot } from "../../../localzone/paths.js";
import { localZone } from "../../../localzone/zone.js";
import {
  parseProjectSpec,
  stackName,
  type ProjectSpec,
  type ProjectSpecInput,
} from "../../../spec/project.js";
import type { ZoneSpec } from "../../../spec/zone.js";
import { composeProject } from "../../../stacks/project/compose.js";
import { workspaceOptions } from "./local-zone.js";

/** The policy pack's folder, as the engine loads it (`dist/` is built by the integration globalSetup). */
export const POLICY_PACK_DIR = join(repoRoot, "policy");

/** A project name no earlier run has used: `<prefix>-<6 hex>`. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** Where the engine's own output goes: shown only when PLUSKUBE_TEST_VERBOSE=1. */
const onOutput =
  process.env["PLUSKUBE_TEST_VERBOSE"] === "1" ? (line: string) => process.stdout.write(line) : undefined;

/** What the pack's config says about one project stack, written to a file for `--policy-pack-config`. */
export interface PackRun {
  readonly policyPacks: string[];
  readonly policyPackConfigs: string[];
}

/**
 * A project stack `<project>.<zone>` of the Pulumi project `pluskube-project` whose program is
 * `composeProject(spec, zone)` run inline, the way the service runs it: on the local zone's
 * engine, file backend and passphrase. Each operation names the spec it runs, so an update is
 * `up(newSpec)`.
 */
export class ProjectStack {
  private readonly scratch = mkdtempSync(join(tmpdir(), "pluskube-it-"));

  private constructor(
    readonly stack: Stack,
    readonly zone: ZoneSpec,
  ) {}

  static async create(spec: ProjectSpecInput, zone: ZoneSpec = localZone()): Promise<ProjectStack> {
    const parsed = parseProjectSpec(spec);
    const stack = await LocalWorkspace.createOrSelectStack(
      {
        projectName: "pluskube-project",
        stackName: stackName(parsed.project, zone.name),
        program: program(parsed, zone),
      },
      { ...(await workspaceOptions()), secretsProvider: "passphrase" },
    );
    return new ProjectStack(stack, zone);
  }

  /** The policy pack with the config the service would write for this spec and share. */
  pack(policy: ProjectPolicyInput): PackRun {
    const file = join(this.scratch, `policy-config-${randomBytes(3).toString("hex")}.json`);
    writeFileSync(file, JSON.stringify(policyConfigFor(policy)), { mode: 0o600 });
    return { policyPacks: [POLICY_PACK_DIR], policyPackConfigs: [file] };
  }

  up(spec: ProjectSpecInput, pack?: PackRun): Promise<UpResult> {
    return this.stack.up({ program: program(parseProjectSpec(spec), this.zone), onOutput, ...pack });
  }

  preview(spec: ProjectSpecInput, pack?: PackRun): Promise<PreviewResult> {
    return this.stack.preview({ program: program(parseProjectSpec(spec), this.zone), onOutput, ...pack });
  }

  /** Custom resources in the stack's state other than providers: what the stack has created. */
  async createdResources(): Promise<string[]> {
    const state = await this.stack.exportStack();
    const deployment = state.deployment as { resources?: { urn: string; type: string; custom?: boolean }[] };
    return (deployment.resources ?? [])
      .filter((resource) => resource.custom === true && !resource.type.startsWith("pulumi:providers:"))
      .map((resource) => resource.urn);
  }

  /** Destroys what the stack holds and removes the stack; never throws (for afterAll). */
  async dispose(): Promise<void> {
    try {
      await this.stack.cancel().catch(() => undefined);
      await this.stack.destroy({ onOutput });
      await this.stack.workspace.removeStack(this.stack.name);
    } catch (error) {
      console.error(`cleaning up stack ${this.stack.name} failed:`, error);
    } finally {
      rmSync(this.scratch, { recursive: true, force: true });
    }
  }
}

function program(spec: ProjectSpec, zone: ZoneSpec) {
  return async () => composeProject(spec, zone);
}
