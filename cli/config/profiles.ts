import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError, ExitCode } from "../exit-codes.js";

/** One named set of connection settings, as `pluskube login` writes it. */
export interface Profile {
  /** The service's base URL, such as `https://pluskube.example.org`. */
  readonly endpoint: string;
  /** The bearer token; the file is mode 0600 because of it. */
  readonly token: string;
  /** The project commands act on when none is named. */
  readonly project?: string;
}

/** The profiles file: every profile by name, and the one used when none is named. */
export interface ProfilesFile {
  readonly current?: string;
  readonly profiles: Readonly<Record<string, Profile>>;
}

export const DEFAULT_PROFILE = "default";

/**
 * Where the profiles live: `PLUSKUBE_CONFIG` when set, else `pluskube/profiles.json` under the
 * XDG config folder (`$XDG_CONFIG_HOME`, default `~/.config`).
 */
export function profilesPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env["PLUSKUBE_CONFIG"]) return env["PLUSKUBE_CONFIG"];
  const base = env["XDG_CONFIG_HOME"] || join(homedir(), ".config");
  return join(base, "pluskube", "profiles.json");
}

/** The profiles file, or an empty one when there is none yet. */
export function readProfiles(path: string): ProfilesFile {
  if (!existsSync(path)) return { profiles: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new CliError(
      `${path} is not a profiles file (not JSON); log in again to rewrite it`,
      ExitCode.usage,
    );
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as ProfilesFile).profiles !== "object"
  ) {
    throw new CliError(
      `${path} is not a profiles file (no "profiles"); log in again to rewrite it`,
      ExitCode.usage,
    );
  }
  return parsed as ProfilesFile;
}

/**
 * Writes the profiles file readable by its owner only: the folder 0700 and the file 0600,
 * written beside and renamed so that a reader never sees half a file, and made 0600 before a
 * token is in it.
 */
export function writeProfiles(path: string, file: ProfilesFile): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, "", { mode: 0o600 });
  chmodSync(partial, 0o600);
  writeFileSync(partial, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, path);
  // A file made by an earlier version, or by hand, may have been wider.
  chmodSync(path, 0o600);
}

/** The file with `profile` set under `name`, which becomes the current profile. */
export function withProfile(file: ProfilesFile, name: string, profile: Profile): ProfilesFile {
  return { current: name, profiles: { ...file.profiles, [name]: profile } };
}

/** The file without the profile `name`; the current one moves to another when it was that one. */
export function withoutProfile(file: ProfilesFile, name: string): ProfilesFile {
  const profiles = Object.fromEntries(Object.entries(file.profiles).filter(([key]) => key !== name));
  const current = file.current === name ? Object.keys(profiles)[0] : file.current;
  return { ...(current ? { current } : {}), profiles };
}
