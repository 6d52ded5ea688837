import { engineEnv, pulumiCommand } from "../../../localzone/engine-env.js";
import { localKubeconfig, localZone } from "../../../localzone/zone.js";
import { kubeAccessFromKubeconfig, kubeRequest, type KubeAccess } from "../../../localzone/zone/kube.js";
import type { PulumiCommand } from "@pulumi/pulumi/automation/index.js";

/** Admin access to the local zone's Kubernetes API (client certificate from its kubeconfig). */
export function localKube(): KubeAccess {
  const zone = localZone();
  return kubeAccessFromKubeconfig(localKubeconfig(zone), zone.context);
}

/** GET one Kubernetes API path as JSON; fails the test on anything but 200. */
export async function kubeGet<T>(path: string): Promise<T> {
  const res = await kubeRequest<T>(localKube(), "GET", path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** What a LocalWorkspace needs to run the real engine on the local zone. */
export async function workspaceOptions(): Promise<{
  readonly envVars: Record<string, string>;
  readonly pulumiCommand: PulumiCommand;
}> {
  return { envVars: engineEnv(), pulumiCommand: await pulumiCommand() };
}
