import { z } from "zod";
import { isEnvName } from "./names.js";

/**
 * What a project's secret values may be: the apps' secret variables and the private registries'
 * credentials. The service's write-only endpoints and the project stack's secret config take
 * the same shapes with the same limits.
 */

/** Longest secret value, as for plain env values: what a Secret and a pod's env comfortably hold. */
export const SECRET_VALUE_MAX = 32_768;
/** Most secret variables one app may have. */
export const SECRET_ENV_PER_APP_MAX = 100;
/** Most registries one project may hold credentials for. */
export const REGISTRIES_PER_PROJECT_MAX = 10;

export const SECRET_ENV_NAME_MESSAGE =
  "must be an environment variable name: letters, digits and '_', not starting with a digit, at most 128 characters";

/** Whether `name` may name a secret variable. */
export function isSecretEnvName(name: string): boolean {
  return isEnvName(name) && name.length <= 128;
}

export const REGISTRY_SERVER_MESSAGE =
  "must be a registry host as image references name it, such as ghcr.io or registry.example.org:5000";

const SERVER = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$/;

/** Whether `server` is a registry's `host[:port]` as image references name it. */
export function isRegistryServer(server: string): boolean {
  return server.length <= 253 && SERVER.test(server);
}

export const secretValue = z.string().max(SECRET_VALUE_MAX, `must be at most ${SECRET_VALUE_MAX} characters`);

/** A private registry's login: write-only wherever it is given. */
export const RegistryLogin = z.strictObject({
  username: z.string().min(1, "must not be empty").max(256, "must be at most 256 characters"),
  password: z.string().min(1, "must not be empty").max(4096, "must be at most 4096 characters"),
});
