import type { ProjectSecrets } from "../../stacks/project/secrets.js";
import type { ProjectRow } from "../store/schema.js";
import { RegistryCredentialRows } from "../store/registry-credentials.js";
import { SecretEnvRows } from "../store/secret-env.js";
import type { Queries } from "../store/store.js";
import { DomainError } from "./errors.js";
import type { SecretBox } from "./secret-box.js";

/** What a sealed secret variable is bound to: a value copied to another row does not open there. */
export function secretEnvContext(projectId: string, app: string, name: string): string {
  return `secret-env/${projectId}/${app}/${name}`;
}

/** What sealed registry credentials are bound to. */
export function registryContext(projectId: string, server: string): string {
  return `registry/${projectId}/${server}`;
}

/** The service runs without a secrets key: it can neither store nor deliver secret values. */
export class SecretsDisabledError extends DomainError {
  constructor() {
    super(
      503,
      "secrets-disabled",
      "Service Unavailable",
      "this service has no secrets key, so it stores no secret values; its operator sets PLUSKUBE_SECRETS_KEY",
    );
  }
}

/**
 * The project's secret values opened for one run: the secret variables of the apps its spec
 * has (an app's variables wait while the app is gone) and the registries' credentials. Held in
 * memory for the run only.
 */
export async function openProjectSecrets(
  queries: Queries,
  box: SecretBox | undefined,
  project: Pick<ProjectRow, "id" | "spec">,
): Promise<ProjectSecrets> {
  const apps = new Set(project.spec.apps.map((app) => app.name));
  const rows = (await new SecretEnvRows(queries.db).sealed(project.id)).filter((row) => apps.has(row.app));
  const registryRows = await new RegistryCredentialRows(queries.db).list(project.id);
  if ((rows.length > 0 || registryRows.length > 0) && !box) throw new SecretsDisabledError();
  const env: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    const values = (env[row.app] ??= {});
    values[row.name] = (box as SecretBox).open(row.sealed, secretEnvContext(project.id, row.app, row.name));
  }
  const registries = registryRows.map((row) => {
    const { username, password } = JSON.parse(
      (box as SecretBox).open(row.sealed, registryContext(project.id, row.server)),
    ) as { username: string; password: string };
    return { server: row.server, username, password };
  });
  return { env, registries };
}
