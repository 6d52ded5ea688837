import { UsageError } from "../exit-codes.js";
import { DEFAULT_PROFILE, profilesPath, readProfiles, type Profile } from "./profiles.js";

/** The global flags that say where the service is and who calls it. */
export interface ConnectionFlags {
  readonly endpoint?: string;
  readonly token?: string;
  readonly profile?: string;
  readonly project?: string;
}

/** Where each setting came from, for `pluskube config` and for messages. */
export type Source = "flag" | "environment" | "profile";

/** The settings a command talks to the service with. */
export interface Connection {
  readonly endpoint: string;
  readonly token: string;
  /** The project named by flag, environment or profile, if any. */
  readonly project?: string;
  /** The profile the settings not given by flag or environment came from. */
  readonly profileName: string;
  readonly sources: { readonly endpoint: Source; readonly token: Source; readonly project?: Source };
}

/** The profile chosen: `--profile`, else `PLUSKUBE_PROFILE`, else the file's current one. */
export function chosenProfile(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): { name: string; profile: Profile | undefined; explicit: boolean } {
  const file = readProfiles(profilesPath(env));
  const named = flags.profile ?? env["PLUSKUBE_PROFILE"];
  const name = named ?? file.current ?? DEFAULT_PROFILE;
  const profile = file.profiles[name];
  if (named !== undefined && !profile) {
    const known = Object.keys(file.profiles);
    throw new UsageError(
      `--profile: no profile named '${named}'${known.length ? ` (there are: ${known.join(", ")})` : ""}; create it with pluskube login --profile ${named}`,
    );
  }
  return { name, profile, explicit: named !== undefined };
}

function pick(
  flag: string | undefined,
  fromEnv: string | undefined,
  fromProfile: string | undefined,
): { value: string; source: Source } | undefined {
  if (flag) return { value: flag, source: "flag" };
  if (fromEnv) return { value: fromEnv, source: "environment" };
  if (fromProfile) return { value: fromProfile, source: "profile" };
  return undefined;
}

/** A base URL the client can join paths to, or a usage error naming where it came from. */
export function checkEndpoint(endpoint: string, source: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(
      `${source} must be an http:// or https:// URL such as https://pluskube.example.org, got '${endpoint}'`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${source} must be an http:// or https:// URL, got '${endpoint}'`);
  }
  return endpoint.replace(/\/+$/, "");
}

const SOURCE_NAMES = {
  endpoint: { flag: "--endpoint", environment: "PLUSKUBE_ENDPOINT", profile: "the profile's endpoint" },
} as const;

/**
 * Endpoint, token and project: a flag wins over the environment (`PLUSKUBE_ENDPOINT`,
 * `PLUSKUBE_TOKEN`, `PLUSKUBE_PROJECT`), which wins over the profile.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const { name, profile } = chosenProfile(flags, env);
  const endpoint = pick(flags.endpoint, env["PLUSKUBE_ENDPOINT"], profile?.endpoint);
  const token = pick(flags.token, env["PLUSKUBE_TOKEN"], profile?.token);
  const project = pick(flags.project, env["PLUSKUBE_PROJECT"], profile?.project);
  if (!endpoint) {
    throw new UsageError(
      "no endpoint: give --endpoint URL, set PLUSKUBE_ENDPOINT, or run pluskube login --endpoint URL",
    );
  }
  if (!token) {
    throw new UsageError("no token: give --token, set PLUSKUBE_TOKEN, or run pluskube login");
  }
  return {
    endpoint: checkEndpoint(endpoint.value, SOURCE_NAMES.endpoint[endpoint.source]),
    token: token.value,
    ...(project ? { project: project.value } : {}),
    profileName: name,
    sources: {
      endpoint: endpoint.source,
      token: token.source,
      ...(project ? { project: project.source } : {}),
    },
  };
}
