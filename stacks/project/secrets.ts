import type { ProjectSpec } from "../../spec/project.js";

/** Credentials of one private registry the project's images come from. */
export interface RegistryCredential {
  /** Registry host, such as `registry.example.org` or `ghcr.io`. */
  readonly server: string;
  readonly username: string;
  readonly password: string;
}

/**
 * What a project holds that its spec must not: values the program receives in plain text and
 * hands to its resources only as Pulumi secrets, so the stack's state keeps them encrypted.
 */
export interface ProjectSecrets {
  /** Secret variables per app name. */
  readonly env: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Credentials of the private registries the apps pull from. */
  readonly registries: readonly RegistryCredential[];
}

export const NO_PROJECT_SECRETS: ProjectSecrets = { env: {}, registries: [] };

/** Secrets the stack writes for these values: one per app with secret variables, one for the registries. */
export function secretObjectCount(spec: ProjectSpec, secrets: ProjectSecrets): number {
  const apps = spec.apps.filter((app) => Object.keys(secrets.env[app.name] ?? {}).length > 0).length;
  return apps + (secrets.registries.length > 0 ? 1 : 0);
}
