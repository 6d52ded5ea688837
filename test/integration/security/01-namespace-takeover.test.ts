import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeClusters } from "../../../automation-api/cluster/kube-clusters.js";
import { simulatedZone } from "../../../localzone/zone.js";
import { TestService } from "../../service/harness.js";
import { kubeGet, kubeSend, waitUntilGone } from "../helpers/local-zone.js";
import { ProjectStack, uniqueProject } from "../helpers/project-stack.js";
import { dropLocalServiceDatabase, localServiceDatabase, realRunner } from "../service-helpers.js";

/**
 * Finding 1: a project named after an existing namespace took it over (labels, quota of no
 * pods, default deny) and deleting the project deleted the namespace with everything in it.
 * Here a namespace with a ConfigMap, made beforehand by someone else, must come through a
 * create and a delete attempt untouched, through the service and through the stack itself.
 */

interface NamespaceObject {
  metadata: { uid: string; labels?: Record<string, string>; resourceVersion: string };
  status?: { phase?: string };
}
interface ConfigMapObject {
  metadata: { uid: string; resourceVersion: string };
  data?: Record<string, string>;
}
interface Listed {
  items: { metadata: { name: string } }[];
}

const SETTLE_MS = 600_000;
const DATA = { "who-made-this": "someone other than pluskube" };

/** A namespace made outside pluskube, with a ConfigMap in it; returns how both look. */
async function foreignNamespace(
  name: string,
): Promise<{ namespace: NamespaceObject; configMap: ConfigMapObject }> {
  const created = await kubeSend("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { team: "observability" } },
  });
  expect(created.status).toBe(201);
  const configMap = await kubeSend("POST", `/api/v1/namespaces/${name}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings" },
    data: DATA,
  });
  expect(configMap.status).toBe(201);
  return snapshot(name);
}

async function snapshot(name: string): Promise<{ namespace: NamespaceObject; configMap: ConfigMapObject }> {
  return {
    namespace: await kubeGet<NamespaceObject>(`/api/v1/namespaces/${name}`),
    configMap: await kubeGet<ConfigMapObject>(`/api/v1/namespaces/${name}/configmaps/settings`),
  };
}

/** The namespace and its ConfigMap are the very objects made beforehand, unchanged, and nothing was added. */
async function expectUntouched(
  name: string,
  before: { namespace: NamespaceObject; configMap: ConfigMapObject },
): Promise<void> {
  const after = await snapshot(name);
  expect(after.namespace.metadata.uid).toBe(before.namespace.metadata.uid);
  expect(after.namespace.status?.phase).toBe("Active");
  expect(after.namespace.metadata.labels).toEqual(before.namespace.metadata.labels);
  expect(after.namespace.metadata.resourceVersion).toBe(before.namespace.metadata.resourceVersion);
  expect(after.configMap.metadata.uid).toBe(before.configMap.metadata.uid);
  expect(after.configMap.data).toEqual(DATA);
  const quotas = await kubeGet<Listed>(`/api/v1/namespaces/${name}/resourcequotas`);
  const policies = await kubeGet<Listed>(`/apis/networking.k8s.io/v1/namespaces/${name}/networkpolicies`);
  expect(quotas.items).toEqual([]);
  expect(policies.items).toEqual([]);
}

const made: string[] = [];

afterAll(async () => {
  for (const name of made) {
    await kubeSend("DELETE", `/api/v1/namespaces/${name}`);
    await waitUntilGone(`/api/v1/namespaces/${name}`);
  }
});

describe("a namespace pluskube did not create, through the service", () => {
  let service: TestService<Awaited<ReturnType<typeof realRunner>>>;
  let token: string;
  const name = uniqueProject("it-foreign-svc");
  let before: { namespace: NamespaceObject; configMap: ConfigMapObject };

  beforeAll(async () => {
    made.push(name);
    before = await foreignNamespace(name);
    service = await TestService.start({
      databaseUrl: await localServiceDatabase(),
      zones: [simulatedZone()],
      runner: await realRunner(),
      clusters: kubeClusters(),
      app: { rateLimit: { limit: 1_000_000 } },
    });
    token = await service.user("it-foreign");
  });

  afterAll(async () => {
    if (!service) return;
    await service.close();
    await dropLocalServiceDatabase(service.databaseUrl);
  });

  it("survives a create and a delete of a project named after it, untouched", async () => {
    const created = await service.put<{ id?: string; status?: string }>(`/v1/projects/${name}`, token, {
      zone: "local",
    });
    // Whatever the service answered, let any operation it queued run to its end.
    if (created.status === 202 && created.body.id) await service.settle(token, created.body.id, SETTLE_MS);
    const deleted = await service.delete<{ id?: string }>(`/v1/projects/${name}`, token);
    if (deleted.status === 202 && deleted.body.id) await service.settle(token, deleted.body.id, SETTLE_MS);

    expect(created.status).toBe(409);
    expect(created.body).toMatchObject({ type: "urn:pluskube:problem:namespace-exists", namespace: name });
    expect(deleted.status).toBe(204);
    await expectUntouched(name, before);
  });
});

describe("a namespace pluskube did not create, through the project stack", () => {
  const name = uniqueProject("it-foreign-stack");
  let before: { namespace: NamespaceObject; configMap: ConfigMapObject };
  let stack: ProjectStack;

  beforeAll(async () => {
    made.push(name);
    before = await foreignNamespace(name);
    stack = await ProjectStack.create({ project: name, zone: "local" });
  });

  afterAll(async () => {
    await stack?.dispose();
  });

  it("fails the stack's create with the namespace's AlreadyExists, creating nothing in it", async () => {
    const up = stack.up({ project: name, zone: "local" });

    await expect(up).rejects.toThrow(/already exists/);
    expect((await stack.createdResources()).filter((urn) => urn.includes("core/v1:Namespace"))).toEqual([]);
    await expectUntouched(name, before);
  });

  it("leaves the namespace and its ConfigMap in place when the stack is destroyed", async () => {
    await stack.destroy();

    await expectUntouched(name, before);
  });
});
