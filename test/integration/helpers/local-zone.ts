import { engineEnv, pulumiCommand } from "../../../localzone/engine-env.js";
import { localKubeconfig, localZone } from "../../../localzone/zone.js";
import {
  kubeAccessFromKubeconfig,
  kubeRequest,
  type KubeAccess,
  type KubeResponse,
} from "../../../localzone/zone/kube.js";
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

/** One request to the local zone's Kubernetes API, whatever its answer (for refusals). */
export function kubeSend<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
): Promise<KubeResponse<T>> {
  return kubeRequest<T>(localKube(), method, path, body);
}

/** The message of a Kubernetes `Status` answer (a refusal's reason), or the body as text. */
export function statusMessage(body: unknown): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : JSON.stringify(body);
}

/**
 * Polls `check` until it returns something other than `undefined`, and returns that; fails with
 * `what` and the last error when `timeoutMs` runs out.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until a Kubernetes object is gone (404), e.g. a namespace being finalized. */
export async function waitUntilGone(path: string, timeoutMs = 120_000): Promise<void> {
  await eventually(
    `${path} to be deleted`,
    async () => ((await kubeSend("GET", path)).status === 404 ? true : undefined),
    timeoutMs,
  );
}
