import { kubeSend, waitUntilGone } from "./local-zone.js";

interface NamespaceList {
  readonly items: readonly { readonly metadata: { readonly name: string } }[];
}

/**
 * The namespaces integration tests make: projects named `it-…` and the engine smoke test's own.
 * Undefined while the zone's API server does not answer (some files take the zone down).
 */
export async function testNamespaces(): Promise<string[] | undefined> {
  const res = await kubeSend<NamespaceList>("GET", "/api/v1/namespaces").catch(() => undefined);
  if (res?.status !== 200) return undefined;
  return res.body.items
    .map((item) => item.metadata.name)
    .filter((name) => name.startsWith("engine-smoke-") || name.startsWith("it-"));
}

/** Deletes the namespaces and waits until every one is gone, pods and all. */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  for (const name of names) await kubeSend("DELETE", `/api/v1/namespaces/${name}`);
  for (const name of names) await waitUntilGone(`/api/v1/namespaces/${name}`, 180_000);
}
