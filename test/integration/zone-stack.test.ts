/**
 * The zone stack the way an operator runs it: the `pluskube-zone` program from `stacks/zone`
 * (its Pulumi.yaml, the compiled program) on the local zone, `up` and then `destroy`.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalWorkspace, type Stack, type UpResult } from "@pulumi/pulumi/automation/index.js";
import { repoRoot } from "../../localzone/paths.js";
import { localZone } from "../../localzone/zone.js";
import { PLATFORM_NAMESPACE, TENANT_PRIORITY_CLASS, ZONE_SETTINGS } from "../../stacks/zone/compose.js";
import { kubeGet, kubeSend, waitUntilGone, workspaceOptions } from "./helpers/local-zone.js";

interface Metadata {
  metadata: { name: string; labels?: Record<string, string> };
}
interface ConfigMap extends Metadata {
  data?: Record<string, string>;
}
interface PriorityClass extends Metadata {
  value: number;
  preemptionPolicy?: string;
  globalDefault?: boolean;
}

const zone = localZone();
const namespacePath = `/api/v1/namespaces/${PLATFORM_NAMESPACE}`;
const priorityClassPath = `/apis/scheduling.k8s.io/v1/priorityclasses/${TENANT_PRIORITY_CLASS}`;

describe("the zone stack on the local zone", () => {
  // Not the zone's own name: a test run must never take over an operator's stack `local`.
  const stackName = `it-zone-${randomBytes(3).toString("hex")}`;
  let stack: Stack;
  let up: UpResult;

  beforeAll(async () => {
    // The platform's objects are cluster-wide: another zone stack on this cluster would clash.
    const existing = await kubeSend("GET", namespacePath);
    if (existing.status !== 404) {
      throw new Error(`${PLATFORM_NAMESPACE} already exists on the local zone: a zone stack is up there`);
    }
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName, workDir: join(repoRoot, "stacks", "zone") },
      { ...(await workspaceOptions()), secretsProvider: "passphrase" },
    );
    await stack.setConfig("zone", { value: zone.name });
    up = await stack.up();
  });

  afterAll(async () => {
    // Removing the stack also removes its Pulumi.<stack>.yaml from stacks/zone.
    await stack?.destroy().catch((error: unknown) => console.error(error));
    await stack?.workspace
      .removeStack(stackName, { force: true })
      .catch((error: unknown) => console.error(error));
  });

  it("creates the platform namespace, labelled with the zone", async () => {
    const namespace = await kubeGet<Metadata>(namespacePath);

    expect(namespace.metadata.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "pluskube",
      "pluskube.dev/zone": zone.name,
    });
  });

  it("publishes the zone's shared settings in a ConfigMap of the platform namespace", async () => {
    const settings = await kubeGet<ConfigMap>(`${namespacePath}/configmaps/${ZONE_SETTINGS}`);

    expect(settings.data).toMatchObject({
      name: zone.name,
      baseDomain: zone.baseDomain,
      ingressClass: zone.ingressClass,
      "chunk.cpu": zone.chunk.cpu,
      "capacity.memory": zone.capacity.memory,
    });
  });

  it("creates the tenant PriorityClass at value 0 that never preempts", async () => {
    const priority = await kubeGet<PriorityClass>(priorityClassPath);

    expect(priority).toMatchObject({ value: 0, preemptionPolicy: "Never" });
    // The API server leaves out `globalDefault: false`; pods without a class must not get it.
    expect(priority.globalDefault ?? false).toBe(false);
  });

  it("reports the names of what it created as stack outputs", () => {
    expect(up.outputs["platformNamespace"]?.value).toBe(PLATFORM_NAMESPACE);
    expect(up.outputs["settingsConfigMap"]?.value).toBe(ZONE_SETTINGS);
    expect(up.outputs["tenantPriorityClass"]?.value).toBe(TENANT_PRIORITY_CLASS);
  });

  it("destroys the platform namespace and the PriorityClass", async () => {
    const destroy = await stack.destroy();

    expect(destroy.summary.result).toBe("succeeded");
    await waitUntilGone(namespacePath);
    expect((await kubeSend("GET", priorityClassPath)).status).toBe(404);
  });
});
