import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { projectLabels } from "../../components/labels.js";
import type { TenantNamespace } from "../../components/tenant-namespace/index.js";
import type { RegistryCredential } from "./secrets.js";

/** Name of the project's image pull Secret; no claim's Secret (`database-`, `bucket-`, `app-`) can take it. */
export const REGISTRY_SECRET_NAME = "registry-credentials";

/** The `.dockerconfigjson` document of the registries: what the kubelet logs in with. */
export function dockerConfigJson(registries: readonly RegistryCredential[]): string {
  const auths = Object.fromEntries(
    registries.map(({ server, username, password }) => [
      server,
      { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") },
    ]),
  );
  return JSON.stringify({ auths });
}

/**
 * The project's `kubernetes.io/dockerconfigjson` Secret with every private registry's
 * credentials, as a Pulumi secret; `undefined` when the project has none.
 */
export function registryPullSecret(
  project: string,
  registries: readonly RegistryCredential[],
  tenant: TenantNamespace,
  kubernetes: k8s.Provider,
): k8s.core.v1.Secret | undefined {
  if (registries.length === 0) return undefined;
  return new k8s.core.v1.Secret(
    "registry-credentials",
    {
      metadata: {
        name: REGISTRY_SECRET_NAME,
        namespace: tenant.namespaceName,
        labels: projectLabels(project),
      },
      type: "kubernetes.io/dockerconfigjson",
      stringData: { ".dockerconfigjson": pulumi.secret(dockerConfigJson(registries)) },
    },
    { provider: kubernetes, dependsOn: [tenant] },
  );
}
