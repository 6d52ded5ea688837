import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localRunner } from "../../../automation-api/local-zone.js";
import type { AutomationRunner, StackResource } from "../../../automation-api/runner/automation-runner.js";
import type {
  PolicyContext,
  RunEvent,
  RunRequest,
  RunResult,
} from "../../../automation-api/runner/runner.js";
import { repoRoot } from "../../../localzone/paths.js";
import { simulatedZone } from "../../../localzone/zone.js";
import { parseProjectSpec, type ProjectSpecInput } from "../../../spec/project.js";
import type { ZoneSpec } from "../../../spec/zone.js";

/** The policy pack's folder, as the engine loads it (`dist/` is built by the integration globalSetup). */
export const POLICY_PACK_DIR = join(repoRoot, "policy");

/** A project name no earlier run has used: `<prefix>-<6 hex>`. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The engine's events, shown only when PLUSKUBE_TEST_VERBOSE=1. */
function onEvent(event: RunEvent): void {
  if (process.env["PLUSKUBE_TEST_VERBOSE"] === "1") process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** What the policy pack is told about a run; the tests pick the share and the rest. */
export type PackInput = Omit<PolicyContext, "allowedRegistries"> & {
  readonly allowedRegistries?: readonly string[];
};

/**
 * A project stack `<project>.<zone>` run by the service's own runner on the local zone: without
 * the policy pack unless a run names the pack's input, with it exactly as a service job runs it
 * (`preview` with the pack, then `up`). Each operation names the spec it runs, so an update is
 * `up(newSpec)`.
 */
export class ProjectStack {
  private constructor(
    private readonly project: string,
    readonly zone: ZoneSpec,
    private readonly scratch: string,
    private readonly bare: AutomationRunner,
    private readonly packed: AutomationRunner,
  ) {}

  static async create(spec: ProjectSpecInput, zone: ZoneSpec = simulatedZone()): Promise<ProjectStack> {
    const scratch = mkdtempSync(join(tmpdir(), "pluskube-it-"));
    return new ProjectStack(
      parseProjectSpec(spec).project,
      zone,
      scratch,
      await localRunner({ dataDir: scratch, policyPack: false }),
      await localRunner({ dataDir: scratch, policyPackDir: POLICY_PACK_DIR }),
    );
  }

  /** Deploys `spec`; with `pack`, previews it with the policy pack first, as the service does. */
  up(spec: ProjectSpecInput, pack?: PackInput): Promise<RunResult> {
    return this.runner(pack).up(this.request(spec, pack));
  }

  /** Previews `spec`, judged by the policy pack when `pack` is given. */
  preview(spec: ProjectSpecInput, pack?: PackInput): Promise<RunResult> {
    return this.runner(pack).preview(this.request(spec, pack));
  }

  /** Deletes what the stack holds and the stack itself. */
  async destroy(): Promise<RunResult> {
    return this.bare.destroy(this.request({ project: this.project, zone: this.zone.name }));
  }

  /** The URNs of what the stack has created: custom resources in its state other than providers. */
  async createdResources(): Promise<string[]> {
    const resources: StackResource[] = await this.bare.resources({ project: this.project, zone: this.zone });
    return resources.map((resource) => resource.urn);
  }

  /** Destroys what the stack holds and removes the stack; never throws (for afterAll). */
  async dispose(): Promise<void> {
    try {
      await this.bare.recover({ project: this.project, zone: this.zone }, onEvent);
      await this.destroy();
    } catch (error) {
      console.error(`cleaning up stack ${this.project}.${this.zone.name} failed:`, error);
    } finally {
      rmSync(this.scratch, { recursive: true, force: true });
    }
  }

  private runner(pack: PackInput | undefined): AutomationRunner {
    return pack ? this.packed : this.bare;
  }

  private request(spec: ProjectSpecInput, pack?: PackInput): RunRequest {
    const policy: PolicyContext = {
      allowedRegistries: [],
      ...(pack ?? {
        namespace: this.project,
        share: {},
        baseDomain: "",
        verifiedDomains: [],
        requireTls: false,
      }),
    };
    return { project: this.project, zone: this.zone, spec: parseProjectSpec(spec), policy, onEvent };
  }
}
