import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation/index.js";
import type { ZoneSpec } from "../spec/zone.js";
import { ZONE_COMPONENTS } from "../localzone/toolchain/components.js";
import { ensureServiceDatabase, SERVICE_DATABASE, SERVICE_ROLE } from "../localzone/zone/service-database.js";
import { AutomationRunner } from "./runner/automation-runner.js";
import { projectProgram } from "./runner/project-program.js";
import { sharedStateEnv } from "./runner/state-backend.js";
import { zoneEngineEnv } from "./runner/zone-engine-env.js";
import type { SharedState } from "./shared-state.js";

/**
 * What `npm start` needs from the local zone, imported lazily (`await import`) so that neither
 * the tests nor a service pointed at another database load any of it.
 */

export { SERVICE_DATABASE, SERVICE_ROLE };

/** What the zone and an app need; a failed database or bucket provider only disables those claims. */
const REQUIRED = ["pulumi", "language-nodejs", "kubernetes-provider", "random-provider", ...ZONE_COMPONENTS];

function defaultSay(line: string): void {
  console.log(line);
}

/**
 * Builds what is missing of the toolchain (cached after the first time: about 30 minutes on a
 * fresh 2-core machine, nothing afterwards) and starts whatever part of the local zone is down.
 */
export async function ensureLocalZone(say: (line: string) => void = defaultSay): Promise<void> {
  const { ensureToolchain } = await import("../localzone/toolchain.js");
  const toolchain = await ensureToolchain({ say });
  const fatal = toolchain.failed.filter((name) => REQUIRED.includes(name));
  const degraded = toolchain.failed.filter((name) => !REQUIRED.includes(name));
  if (fatal.length > 0) throw new Error(`the local zone's toolchain failed to build: ${fatal.join(", ")}`);
  if (degraded.length > 0) say(`not built, so the claims that need them will fail: ${degraded.join(", ")}`);
  const { zoneUp } = await import("../localzone/zone.js");
  await zoneUp({ say });
}

/**
 * The service's database on the local zone's PostgreSQL, created on first use, owned by the
 * service's own role (never the server's superuser) and closed to every tenant's role; the URL
 * connects as that role.
 */
export async function localDatabaseUrl(zone: ZoneSpec, database = SERVICE_DATABASE): Promise<string> {
  const { resolveZonePath } = await import("../localzone/paths.js");
  const passwordFile = resolveZonePath(zone.postgres.passwordFile);
  if (!existsSync(passwordFile)) {
    throw new Error(
      `the local zone's PostgreSQL password file ${passwordFile} is missing; run npm run zone:up`,
    );
  }
  return ensureServiceDatabase(zone, database);
}

/**
 * The `weed` binary of this machine's toolchain, which the service runs `weed shell` with to
 * enforce bucket quotas; `weed` from PATH when the toolchain has none.
 */
export async function localWeedPath(): Promise<string> {
  const { toolchainPaths } = await import("../localzone/toolchain.js");
  const weed = toolchainPaths().weed;
  return existsSync(weed) ? weed : "weed";
}

export interface LocalEngine {
  /** The engine's environment for runs of a zone's stacks. */
  readonly engineEnv: (zone: ZoneSpec) => Record<string, string>;
  readonly pulumiCommand: () => Promise<PulumiCommand>;
}

/**
 * The engine of this machine: the built CLI and plugins, each zone's own kubeconfig, and the
 * file backend with its generated passphrase, or the shared state when several instances run.
 */
export async function localEngine(shared?: SharedState): Promise<LocalEngine> {
  const engine = await import("../localzone/engine-env.js");
  // Read once: a shared backend's credentials come from files the service reads at start.
  const sharedEnv = shared ? sharedStateEnv(shared.backend, shared.passphraseFile) : {};
  // Getting the command runs `pulumi version`: once per process, not once per engine run.
  let command: Promise<PulumiCommand> | undefined;
  return {
    engineEnv: (zone) => zoneEngineEnv(engine.engineEnv(process.env, sharedEnv), zone),
    pulumiCommand: () => {
      command ??= engine.pulumiCommand().catch((error: unknown) => {
        command = undefined;
        throw error;
      });
      return command;
    },
  };
}

/**
 * The runner on this machine's engine: the Automation API running `composeProject`, with the
 * compiled policy pack unless `policyPack` is false. `npm start`, the integration tests and the
 * benchmarks all run stacks through it.
 */
export async function localRunner(options: {
  readonly dataDir: string;
  /** The pack's directory; compiled from the sources when absent. */
  readonly policyPackDir?: string;
  readonly policyPack?: boolean;
  /** Stack state every instance reaches; the data folder's file backend when absent. */
  readonly sharedState?: SharedState;
}): Promise<AutomationRunner> {
  const engine = await localEngine(options.sharedState);
  return new AutomationRunner({
    dataDir: options.dataDir,
    engineEnv: engine.engineEnv,
    pulumiCommand: engine.pulumiCommand,
    policyPackDir:
      options.policyPack === false ? undefined : (options.policyPackDir ?? (await ensurePolicyPack())),
    program: projectProgram,
  });
}

/**
 * The compiled policy pack: `policy/` once `dist/policy/index.js` exists (the engine's Node.js
 * policy runner cannot load the TypeScript sources). Compiles it on first start.
 */
export async function ensurePolicyPack(): Promise<string> {
  const { repoRoot } = await import("../localzone/paths.js");
  const compiled = join(repoRoot, "dist", "policy", "index.js");
  if (!existsSync(compiled) || newerSources(repoRoot, statSync(compiled).mtimeMs)) {
    defaultSay("compiling the policy pack (npm run build) ...");
    const result = spawnSync("npm", ["run", "--silent", "build"], { cwd: repoRoot, stdio: "inherit" });
    // tsc emits despite type errors elsewhere in the tree; what matters here is the pack's file.
    if (!existsSync(compiled)) throw new Error("npm run build did not compile the policy pack");
    if (result.status !== 0)
      defaultSay("npm run build reported errors; the policy pack was compiled nonetheless");
  }
  return join(repoRoot, "policy");
}

/** Whether a source of the pack (policy/, or spec/ which it imports) changed after it was compiled. */
function newerSources(repoRoot: string, compiledAt: number): boolean {
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name !== "node_modules" && newer(path);
      return entry.name.endsWith(".ts") && statSync(path).mtimeMs > compiledAt;
    });
  return newer(join(repoRoot, "policy")) || newer(join(repoRoot, "spec"));
}
