import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  StackNotFoundError,
  type PulumiCommand,
  type EngineEvent,
  type OutputMap,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation/index.js";
import { policyConfigFor } from "../../policy/config.js";
import { prejudge } from "../domain/prejudge.js";
import { UpResults } from "./up-results.js";
import { zonePolicyInput } from "../domain/policy-context.js";
import type { ProjectSpec } from "../../spec/project.js";
import type { ProjectSecrets } from "../../stacks/project/secrets.js";
import { stackName } from "../../spec/project.js";
import type { ZoneSpec } from "../../spec/zone.js";
import {
  EngineFailure,
  type Drift,
  type RunEvent,
  type Runner,
  type RunRequest,
  type RunResult,
  type StackRef,
} from "./runner.js";

export const PROJECT_NAME = "pluskube-project";

const execFileAsync = promisify(execFile);

/** Builds the Pulumi program of a project: `composeProject(spec, zone)` from `stacks/project`. */
export type ProgramFactory = (spec: ProjectSpec, zone: ZoneSpec, secrets?: ProjectSecrets) => PulumiFn;

export interface AutomationRunnerOptions {
  /** Where per-stack work folders and policy config files are written. */
  readonly dataDir: string;
  /**
   * Environment of the engine's runs of a zone's stacks (PULUMI_HOME, PULUMI_BACKEND_URL,
   * passphrase, PATH, and the zone's own KUBECONFIG).
   */
  readonly engineEnv: (zone: ZoneSpec) => Record<string, string>;
  readonly program: ProgramFactory;
  /** The `pulumi` CLI to run (e.g. the locally built one); the one on `PATH` when absent. */
  readonly pulumiCommand?: () => Promise<PulumiCommand>;
  /** The compiled policy pack's folder; runs go without it when absent. */
  readonly policyPackDir?: string;
}

/**
 * The Runner on Pulumi's Automation API: one inline-program stack `<project>.<zone>` of the
 * project `pluskube-project` per project, on the backend `engineEnv` names.
 */
export class AutomationRunner implements Runner {
  constructor(private readonly options: AutomationRunnerOptions) {}

  async up(request: RunRequest): Promise<RunResult> {
    const stack = await this.stack(request, request.spec, request.secrets, repairEnv(request.refresh));
    const errors = new EngineErrors();
    const policy = this.policyOptions(request);
    try {
      // `up` skips its preview, and stack policies such as tenant-quota only judge a stack after
      // an update made it; a preview with the pack refuses the stack before anything changes. It
      // is run only when the stack's verdict is not known from its spec to be a pass (prejudge.ts).
      if (this.options.policyPackDir && prejudge(request.spec, request.zone, request.policy) !== undefined) {
        await this.previewOn(stack, request, errors);
      }
      const results = new UpResults();
      results.attach(stack);
      const result = await stack.up({
        program: results.program(this.options.program(request.spec, request.zone, request.secrets)),
        onEvent: (event) => {
          if (event.summaryEvent) results.summary({ ...event.summaryEvent.resourceChanges });
          forward(event, request.onEvent, errors);
        },
        signal: request.signal,
        ...policy,
        ...(request.refresh ? { refresh: true } : {}),
        color: "never",
        suppressProgress: true,
      });
      return { outputs: publicOutputs(result.outputs), changes: changesOf(result.summary.resourceChanges) };
    } catch (error) {
      throw errors.explain(error);
    }
  }

  /**
   * What `up` would change, judged by the policy pack when the runner has one; a refusal is an
   * EngineFailure, as from `up`. Creates the stack when missing but nothing in it.
   */
  async preview(request: RunRequest): Promise<RunResult> {
    const stack = await this.stack(request, request.spec);
    const errors = new EngineErrors();
    try {
      return { outputs: {}, changes: await this.previewOn(stack, request, errors) };
    } catch (error) {
      throw errors.explain(error);
    }
  }

  async drift(request: RunRequest): Promise<Drift[]> {
    const stack = await this.existingStack(request, request.spec, request.secrets, repairEnv(true));
    if (!stack) return [];
    const errors = new EngineErrors();
    const drift: Drift[] = [];
    try {
      await stack.preview({
        refresh: true,
        onEvent: (event) => {
          const found = driftOf(event);
          // A replacement is announced in several steps of one resource.
          if (found && !drift.some((known) => known.urn === found.urn)) drift.push(found);
          forward(event, request.onEvent, errors);
        },
        color: "never",
        suppressProgress: true,
      });
    } catch (error) {
      throw errors.explain(error);
    }
    return drift;
  }

  /** The custom resources the stack's state holds, providers left out; none when there is no stack. */
  async resources(ref: StackRef): Promise<StackResource[]> {
    const stack = await this.existingStack(ref);
    if (!stack) return [];
    const state = await stack.exportStack();
    const deployment = state.deployment as
      { resources?: (StackResource & { custom?: boolean })[] } | undefined;
    return (deployment?.resources ?? [])
      .filter((resource) => resource.custom === true && !resource.type.startsWith("pulumi:providers:"))
      .map(({ urn, type }) => ({ urn, type }));
  }

  private async previewOn(
    stack: Stack,
    request: RunRequest,
    errors: EngineErrors,
  ): Promise<Record<string, number>> {
    const result = await stack.preview({
      onEvent: (event) => forward(event, request.onEvent, errors),
      signal: request.signal,
      ...this.policyOptions(request),
      color: "never",
      suppressProgress: true,
    });
    return changesOf(result.changeSummary);
  }

  private policyOptions(request: RunRequest) {
    if (!this.options.policyPackDir) return {};
    return {
      policyPacks: [this.options.policyPackDir],
      policyPackConfigs: [this.writePolicyConfig(request)],
    };
  }

  async destroy(request: RunRequest): Promise<RunResult> {
    const stack = await this.existingStack(request, request.spec);
    if (!stack) {
      // A deletion that failed after the stack went may have left its work folder.
      rmSync(this.workDir(request), { recursive: true, force: true });
      return { outputs: {}, changes: {} };
    }
    const errors = new EngineErrors();
    let changes: Record<string, number>;
    try {
      const result = await stack.destroy({
        onEvent: (event) => forward(event, request.onEvent, errors),
        signal: request.signal,
        color: "never",
        suppressProgress: true,
      });
      changes = changesOf(result.summary.resourceChanges);
    } catch (error) {
      throw errors.explain(error);
    }
    await this.forget(request, stack.name);
    return { outputs: {}, changes };
  }

  /**
   * Removes an emptied stack with every copy of its state: `destroy --remove` (`stack rm`
   * without `--remove-backups`) keeps its last checkpoint as `<stack>.json.bak`, and the backend
   * may hold copies of earlier ones under `backups/` (written before backups were turned off in
   * the engine's environment), so a deleted project's state, its encrypted secrets with it,
   * would outlive it for good. The work folder, with the stack's encrypted config, goes too.
   */
  private async forget(ref: StackRef, name: string): Promise<void> {
    const { workDir, envVars, pulumiCommand } = await this.workspaceOptions(ref);
    await execFileAsync(
      pulumiCommand?.command ?? "pulumi",
      ["stack", "rm", "--yes", "--remove-backups", "--non-interactive", "--stack", name],
      { cwd: workDir, env: { ...envVars, PULUMI_AUTOMATION_API: "true" } },
    ).catch((error: unknown) => {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new EngineFailure(`removing the emptied stack ${name}: ${stderr || String(error)}`);
    });
    rmSync(workDir, { recursive: true, force: true });
  }

  private workDir(ref: StackRef): string {
    return join(this.options.dataDir, "work", stackName(ref.project, ref.zone.name));
  }

  async recover(ref: StackRef, onEvent: (event: RunEvent) => void): Promise<void> {
    const stack = await this.existingStack(ref);
    if (!stack) return;
    // A dead run leaves the stack locked (diy backend: lock files, removed by cancel) ...
    await stack.cancel().catch(() => undefined);
    // ... and the operations it had started pending in the checkpoint, which block the next update.
    const state = await stack.exportStack();
    const deployment = state.deployment as { pending_operations?: unknown[] } | undefined;
    if (deployment?.pending_operations && deployment.pending_operations.length > 0) {
      onEvent({
        type: "log",
        message: `clearing ${deployment.pending_operations.length} pending operations`,
      });
      deployment.pending_operations = [];
      await stack.importStack(state);
    }
    const errors = new EngineErrors();
    try {
      await stack.refresh({
        onEvent: (event) => forward(event, onEvent, errors),
        color: "never",
        suppressProgress: true,
      });
    } catch (error) {
      throw errors.explain(error);
    }
  }

  private args(ref: StackRef, spec: ProjectSpec, secrets?: ProjectSecrets) {
    return {
      stackName: stackName(ref.project, ref.zone.name),
      projectName: PROJECT_NAME,
      program: this.options.program(spec, ref.zone, secrets),
    };
  }

  /** The stack when it exists; the spec only matters to commands that run the program. */
  private async existingStack(
    ref: StackRef,
    spec = emptySpec(ref),
    secrets?: ProjectSecrets,
    env: Record<string, string> = {},
  ): Promise<Stack | undefined> {
    try {
      return await LocalWorkspace.selectStack(
        this.args(ref, spec, secrets),
        await this.workspaceOptions(ref, env),
      );
    } catch (error) {
      if (error instanceof StackNotFoundError) return undefined;
      throw error;
    }
  }

  private async stack(
    ref: StackRef,
    spec: ProjectSpec,
    secrets?: ProjectSecrets,
    env: Record<string, string> = {},
  ): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack(
      this.args(ref, spec, secrets),
      await this.workspaceOptions(ref, env),
    );
  }

  private async workspaceOptions(ref: StackRef, env: Record<string, string> = {}) {
    const envVars = { ...this.options.engineEnv(ref.zone), ...env };
    const backendUrl = envVars["PULUMI_BACKEND_URL"];
    const workDir = this.workDir(ref);
    mkdirSync(workDir, { recursive: true });
    const pulumiCommand = this.options.pulumiCommand ? await this.options.pulumiCommand() : undefined;
    return {
      workDir,
      envVars,
      secretsProvider: "passphrase",
      ...(pulumiCommand ? { pulumiCommand } : {}),
      projectSettings: {
        name: PROJECT_NAME,
        runtime: "nodejs" as const,
        // Only a file backend is written into the work folder's Pulumi.yaml: a database's URL may
        // carry its password, and the environment names the backend to the engine anyway.
        ...(backendUrl?.startsWith("file://") ? { backend: { url: backendUrl } } : {}),
      },
    };
  }

  private writePolicyConfig(request: RunRequest): string {
    const dir = this.workDir(request);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "policy-config.json");
    const config = policyConfigFor({
      namespace: request.policy.namespace,
      share: request.policy.share,
      baseDomain: request.policy.baseDomain,
      verifiedDomains: request.policy.verifiedDomains,
      requireTls: request.policy.requireTls,
      allowedRegistries: request.policy.allowedRegistries,
      ...zonePolicyInput(request.zone),
      maxConnectionLimit: request.policy.maxConnectionLimit,
    });
    writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
    return file;
  }
}

/** A resource of a stack's state. */
export interface StackResource {
  readonly urn: string;
  readonly type: string;
}

/**
 * The environment of runs that look for or repair drift. An object edited behind the stack's back
 * has fields owned by another field manager, so the provider's server-side apply (and its
 * dry-run in a preview) fails with a field conflict unless forced; every object of a project's
 * stack is pluskube's own, so the stack's values win.
 * https://www.pulumi.com/registry/packages/kubernetes/how-to-guides/managing-resources-with-server-side-apply/#handle-field-conflicts-on-existing-resources
 */
function repairEnv(repair: boolean | undefined): Record<string, string> {
  return repair ? { PULUMI_K8S_ENABLE_PATCH_FORCE: "true" } : {};
}

/** Stands in for the spec where a command only selects the stack and never runs its program. */
function emptySpec(ref: StackRef): ProjectSpec {
  return { project: ref.project, zone: ref.zone.name } as ProjectSpec;
}

/** Collects the engine's own words for a failure: error diagnostics and mandatory policy violations. */
class EngineErrors {
  private readonly messages: string[] = [];

  add(message: string): void {
    const text = message.trim();
    if (text && !this.messages.includes(text)) this.messages.push(text);
  }

  /** ConcurrentUpdateError and non-engine errors pass through (the job retries); the rest is final. */
  explain(error: unknown): unknown {
    if (error instanceof ConcurrentUpdateError || !(error instanceof CommandError)) return error;
    if (this.messages.length > 0) return new EngineFailure(this.messages.join("\n"));
    return new EngineFailure(stderrOf(error));
  }
}

function stderrOf(error: CommandError): string {
  const match = /\n stderr: ([\s\S]*?)\n err\?: /.exec(error.message);
  const stderr = (match?.[1] ?? error.message).trim();
  return stderr.length > 4000 ? `${stderr.slice(0, 4000)}…` : stderr;
}

function forward(event: EngineEvent, onEvent: (event: RunEvent) => void, errors: EngineErrors): void {
  for (const runEvent of toRunEvents(event)) {
    if (runEvent.type === "diagnostic" && runEvent.severity === "error") errors.add(runEvent.message);
    if (runEvent.type === "policy" && runEvent.enforcement === "mandatory") {
      errors.add(`policy ${runEvent.policy}: ${runEvent.message}`);
    }
    onEvent(runEvent);
  }
}

/**
 * A planned step of a preview that changes a custom resource. Component resources only group
 * their children and providers are the engine's own; neither is drift of a cluster object.
 */
export function driftOf(event: EngineEvent): Drift | undefined {
  const pre = event.resourcePreEvent;
  if (!pre?.planning) return undefined;
  const { op, urn, type, diffs } = pre.metadata;
  if (op === "same" || op === "read" || op === "refresh") return undefined;
  if (
    type.startsWith("pulumi:providers:") ||
    type.startsWith("pluskube:") ||
    type === "pulumi:pulumi:Stack"
  ) {
    return undefined;
  }
  const properties = [...new Set((diffs ?? []).map((path) => path.split(/[.[]/)[0] ?? path))];
  return { urn, resourceType: type, op, ...(properties.length > 0 ? { properties } : {}) };
}

/** The engine's events in the few shapes the service stores; progress chatter is dropped. */
export function toRunEvents(event: EngineEvent): RunEvent[] {
  if (event.resourcePreEvent && !event.resourcePreEvent.planning) {
    const { op, urn, type } = event.resourcePreEvent.metadata;
    if (op === "same" || op === "read") return [];
    return [{ type: "resource", op, urn, resourceType: type, status: "started" }];
  }
  if (event.resOutputsEvent && !event.resOutputsEvent.planning) {
    const { op, urn, type } = event.resOutputsEvent.metadata;
    if (op === "same" || op === "read") return [];
    return [{ type: "resource", op, urn, resourceType: type, status: "done" }];
  }
  if (event.resOpFailedEvent) {
    const { op, urn, type } = event.resOpFailedEvent.metadata;
    return [{ type: "resource", op, urn, resourceType: type, status: "failed" }];
  }
  if (event.diagnosticEvent) {
    const { severity, message, urn, ephemeral } = event.diagnosticEvent;
    // Debug chatter arrives although the type leaves the severity out.
    if (ephemeral || (severity as string) === "debug") return [];
    return [{ type: "diagnostic", severity, message: message.trim(), ...(urn ? { urn } : {}) }];
  }
  if (event.policyEvent) {
    const { policyName, message, resourceUrn, enforcementLevel } = event.policyEvent;
    return [
      {
        type: "policy",
        policy: policyName,
        message: message.trim(),
        enforcement: enforcementLevel,
        ...(resourceUrn ? { urn: resourceUrn } : {}),
      },
    ];
  }
  if (event.summaryEvent) {
    return [
      {
        type: "summary",
        result: event.summaryEvent.maybeCorrupt ? "maybe-corrupt" : "done",
        changes: { ...event.summaryEvent.resourceChanges } as Record<string, number>,
      },
    ];
  }
  return [];
}

function changesOf(changes: Record<string, number> | undefined): Record<string, number> {
  return { ...(changes ?? {}) };
}

/** Stack outputs without secrets, which stay in the state. */
export function publicOutputs(outputs: OutputMap): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, output]) => !output.secret)
      .map(([key, output]) => [key, output.value]),
  );
}
