import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { delimiter, dirname, join } from "node:path";

/** What the engine needs to run on one machine without reaching the internet. */
export interface EngineEnvOptions {
  /** The service's data folder; state lives in `<dataDir>/state`. */
  readonly dataDir: string;
  /** `PULUMI_HOME`, where the providers are installed as plugins. */
  readonly pulumiHome: string;
  /** Path of the `pulumi` binary; its folder goes first on `PATH`. */
  readonly pulumiBinary?: string;
}

/** The passphrase of the state's secrets, generated once and kept with mode 0600. */
export function ensurePassphraseFile(dataDir: string): string {
  const file = join(dataDir, "passphrase");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  chmodSync(file, 0o600);
  return file;
}

/**
 * The engine environment documented in DESIGN.md ("Stacks") and TOOLCHAIN.md: the local file
 * backend under the data folder, the passphrase secrets provider, no update checks and no plugin
 * downloads. Used until the local zone provides its own `engineEnv()`.
 */
export function documentedEngineEnv(options: EngineEnvOptions): Record<string, string> {
  const state = join(options.dataDir, "state");
  mkdirSync(state, { recursive: true });
  const path = [options.pulumiBinary ? dirname(options.pulumiBinary) : undefined, process.env["PATH"]]
    .filter((part): part is string => Boolean(part))
    .join(delimiter);
  return {
    PULUMI_HOME: options.pulumiHome,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: ensurePassphraseFile(options.dataDir),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PATH: path,
  };
}

export function readPassphrase(dataDir: string): string {
  return readFileSync(ensurePassphraseFile(dataDir), "utf8").trim();
}
