import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation/index.js";
import { cacheDir, dataDir, repoRoot } from "./paths.js";
import { toolchainPaths, pulumiHome } from "./toolchain.js";
import { ensureSecretFile } from "./zone/postgres.js";
import { localKubeconfig } from "./zone.js";

/** Where the local file backend keeps stack state: `<data>/state`. */
export function stateDir(): string {
  return join(dataDir(), "state");
}

/** The passphrase file of the stacks' secrets provider, generated once (mode 0600). */
export function passphraseFile(): string {
  const file = join(dataDir(), "pulumi-passphrase");
  ensureSecretFile(file, () => randomBytes(32).toString("base64url"));
  return file;
}

/**
 * Environment for the Pulumi engine on the local zone, for the CLI or the Automation API
 * (`LocalWorkspace.create({ envVars })` or a child process's env): the locally built `pulumi`
 * first on PATH, plugins only from `$PULUMI_HOME` (never downloaded), state in the local file
 * backend, secrets under a generated passphrase, and the zone's kubeconfig.
 *
 * `sharedState` replaces the file backend and the generated passphrase when several service
 * instances share the stacks (`PULUMI_BACKEND_URL`, `PULUMI_CONFIG_PASSPHRASE_FILE` and what
 * else the shared backend needs): nothing is then made in the data folder for them.
 */
export function engineEnv(
  base: NodeJS.ProcessEnv = process.env,
  sharedState: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const fileBackend = sharedState["PULUMI_BACKEND_URL"] === undefined;
  const state = stateDir();
  if (fileBackend) mkdirSync(state, { recursive: true });
  const { pulumiBinDir, weed } = toolchainPaths();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  delete env["PULUMI_CONFIG_PASSPHRASE"];
  delete env["PULUMI_ACCESS_TOKEN"];
  return {
    ...env,
    // `weed` too: ObjectBucket sets bucket quotas through `weed shell`, run by the engine's
    // dynamic provider, as an operator's own PATH gives it on a real zone.
    PATH: [pulumiBinDir, dirname(weed), base["PATH"] ?? ""].filter((p) => p !== "").join(delimiter),
    PULUMI_HOME: pulumiHome(),
    ...(fileBackend
      ? { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile() }
      : {}),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Otherwise each update of a stack also writes a full copy of its checkpoint under
    // `backups/`, kept for good: a folder (or table) growing with every run of every project.
    // The backend still keeps the checkpoint before the last as `<stack>.json.bak`.
    PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    KUBECONFIG: localKubeconfig(),
    // The dynamic-provider plugin (ObjectBucket's) resolves @pulumi/pulumi from its working
    // folder, which for the service's stacks is a work folder under the data directory with no
    // node_modules; this repository's is the fallback.
    NODE_PATH: [join(repoRoot, "node_modules"), base["NODE_PATH"] ?? ""]
      .filter((p) => p !== "")
      .join(delimiter),
    ...sharedState,
  };
}

/**
 * The locally built CLI for the Automation API: `LocalWorkspace.create({ pulumiCommand, envVars })`.
 * `PulumiCommand.get` wants `<root>/bin/pulumi`, so the root is a folder whose `bin` links to ours.
 */
export async function pulumiCommand(): Promise<PulumiCommand> {
  const { pulumiBinDir } = toolchainPaths();
  const root = join(cacheDir(), "pulumi-root", basename(pulumiBinDir));
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(root, "bin"))) symlinkSync(pulumiBinDir, join(root, "bin"));
  return PulumiCommand.get({ root });
}
