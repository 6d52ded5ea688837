import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { SpecError, toSpecIssues } from "../../spec/errors.js";
import type { ProjectSpec } from "../../spec/project.js";
import { isAddressRegistry } from "../../spec/registries.js";
import {
  isRegistryServer,
  isSecretEnvName,
  REGISTRIES_PER_PROJECT_MAX,
  REGISTRY_SERVER_MESSAGE,
  RegistryLogin,
  SECRET_ENV_NAME_MESSAGE,
  SECRET_ENV_PER_APP_MAX,
  secretValue,
} from "../../spec/secrets.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { ProjectSecrets } from "./secrets.js";

/** Stack config key of the apps' secret variables: `{ <app>: { <NAME>: <value> } }`. */
export const SECRET_ENV_KEY = "secretEnv";
/** Stack config key of the private registries' logins: `{ <host[:port]>: { username, password } }`. */
export const REGISTRIES_KEY = "registries";

/** `secretEnv`: variables of the spec's own apps, named and sized as the service takes them. */
function secretEnvConfig(spec: ProjectSpec) {
  const apps = spec.apps.map((app) => app.name);
  return z.record(
    z
      .string()
      .refine(
        (app) => apps.includes(app),
        `must be an app of the spec (${apps.join(", ") || "it has none"}); secret variables belong to one`,
      ),
    z
      .record(z.string().refine(isSecretEnvName, SECRET_ENV_NAME_MESSAGE), secretValue)
      .refine((variables) => Object.keys(variables).length <= SECRET_ENV_PER_APP_MAX, {
        message: `must hold at most ${SECRET_ENV_PER_APP_MAX} secret variables`,
      }),
  );
}

/** `registries`: logins by registry host; a host that is an address only where the zone allows it. */
function registriesConfig(zone: ZoneSpec) {
  const allowed = zone.addressRegistries;
  return z
    .record(
      z
        .string()
        .refine(isRegistryServer, REGISTRY_SERVER_MESSAGE)
        .refine(
          (server) => !isAddressRegistry(server) || allowed.includes(server),
          `is an address (an IP literal, localhost or link-local); images must come from a registry named by a DNS name${
            allowed.length > 0 ? `, or from one of the zone's address registries: ${allowed.join(", ")}` : ""
          }`,
        ),
      RegistryLogin,
    )
    .refine((registries) => Object.keys(registries).length <= REGISTRIES_PER_PROJECT_MAX, {
      message: `must hold at most ${REGISTRIES_PER_PROJECT_MAX} registries`,
    });
}

/**
 * The object under `key`, parsed from the config's JSON text with `schema`. Nothing of the
 * value is repeated in an error: it is meant to be a secret.
 */
function configObject<T extends z.ZodType>(
  config: pulumi.Config,
  key: string,
  schema: T,
  shape: string,
): z.output<T> {
  const text = config.get(key);
  let value: unknown = {};
  if (text !== undefined) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SpecError(`stack config '${key}'`, [{ path: "", message: `must be an object ${shape}` }]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new SpecError(`stack config '${key}'`, toSpecIssues(result.error));
  return result.data;
}

/**
 * The project's secret values from the stack's config, for operators who run the project stack
 * themselves: `secretEnv` holds the apps' secret variables and `registries` the private
 * registries' logins, as members give them through the service. Set them with
 * `pulumi config set --secret` so that the stack's config file keeps them encrypted; the
 * program hands them to resources only as Pulumi secrets. Errors name the key and what is
 * allowed, never a value.
 */
export function projectSecretsFromConfig(
  config: pulumi.Config,
  spec: ProjectSpec,
  zone: ZoneSpec,
): ProjectSecrets {
  const env = configObject(
    config,
    SECRET_ENV_KEY,
    secretEnvConfig(spec),
    "of apps, each an object of variable names and values",
  );
  const logins = configObject(
    config,
    REGISTRIES_KEY,
    registriesConfig(zone),
    "of registry hosts, each with a username and a password",
  );
  return {
    env,
    registries: Object.entries(logins)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([server, login]) => ({ server, username: login.username, password: login.password })),
  };
}
