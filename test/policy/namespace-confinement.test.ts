import { describe, expect, it } from "vitest";
import { namespaceConfinement } from "../../policy/rules/namespace-confinement.js";
import {
  claimSecret,
  clusterRole,
  configMap,
  deployment,
  ingress,
  knativeService,
  namespace,
  NAMESPACE,
  networkPolicy,
  postgresRole,
  pvc,
  role,
  service,
} from "./fixtures.js";
import { messages, validateResource, type FakeResource } from "./harness.js";

const CONFIG = { namespace: NAMESPACE };

async function violations(resource: FakeResource, config: object = CONFIG): Promise<string[]> {
  return messages(await validateResource(namespaceConfinement, resource, config));
}

function clusterScoped(type: string, kind: string): FakeResource {
  return {
    type,
    name: `shop-${kind.toLowerCase()}`,
    props: { kind, metadata: { name: `shop-${kind.toLowerCase()}` } },
  };
}

describe("namespace-confinement", () => {
  it.each([
    ["Deployment", deployment()],
    ["Knative Service", knativeService()],
    ["Service", service()],
    ["Ingress", ingress()],
    ["NetworkPolicy", networkPolicy()],
    ["PersistentVolumeClaim", pvc()],
    ["Secret", claimSecret("database", "5")],
    ["ConfigMap", configMap()],
    ["Role", role()],
  ])("accepts a %s in the project's namespace", async (_kind, resource) => {
    expect(await violations(resource)).toEqual([]);
  });

  it("accepts the project's own Namespace", async () => {
    expect(await violations(namespace())).toEqual([]);
  });

  it("is not applicable to resources of other providers", async () => {
    const outcome = await validateResource(namespaceConfinement, postgresRole(), CONFIG);

    expect(outcome.notApplicable).toEqual([
      "namespace-confinement: Policy only applies to Kubernetes resources",
    ]);
  });

  it("refuses an object in another namespace", async () => {
    expect(await violations(configMap({ namespace: "kube-system" }))).toEqual([
      "metadata.namespace must be 'shop', got 'kube-system'",
    ]);
  });

  it("refuses a namespaced object without a namespace", async () => {
    expect(await violations(configMap({ namespace: undefined }))).toEqual([
      "metadata.namespace must be set to 'shop': without it the object lands in the provider's default namespace",
    ]);
  });

  it("accepts an object without a namespace when its provider defaults to the project's", async () => {
    const resource = { ...configMap({ namespace: undefined }), providerProps: { namespace: NAMESPACE } };

    expect(await violations(resource)).toEqual([]);
  });

  it("refuses an object without a namespace when its provider defaults to another", async () => {
    const resource = { ...configMap({ namespace: undefined }), providerProps: { namespace: "default" } };

    expect(await violations(resource)).toHaveLength(1);
  });

  it("refuses a Namespace other than the project's", async () => {
    expect(await violations(namespace("kube-public"))).toEqual([
      "metadata.name must be 'shop': the stack may only create its project's Namespace, got 'kube-public'",
    ]);
  });

  it("refuses a patch of a Namespace, even the project's", async () => {
    const patch = { ...namespace(), type: "kubernetes:core/v1:NamespacePatch" };

    expect(await violations(patch)).toEqual([
      "metadata.name must be 'shop': the stack may only create its project's Namespace, got 'shop'",
    ]);
  });

  it("refuses a ClusterRole", async () => {
    expect(await violations(clusterRole())).toEqual([
      "rbac.authorization.k8s.io/ClusterRole is cluster-scoped and not allowed: a project may only create objects in its own namespace",
    ]);
  });

  it.each([
    ["kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "ClusterRoleBinding"],
    ["kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "CustomResourceDefinition"],
    ["kubernetes:core/v1:PersistentVolume", "PersistentVolume"],
    ["kubernetes:storage.k8s.io/v1:StorageClass", "StorageClass"],
    [
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
    ],
    [
      "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
      "MutatingWebhookConfiguration",
    ],
    ["kubernetes:scheduling.k8s.io/v1:PriorityClass", "PriorityClass"],
    ["kubernetes:networking.k8s.io/v1:IngressClass", "IngressClass"],
    ["kubernetes:cert-manager.io/v1:ClusterIssuer", "ClusterIssuer"],
    ["kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBindingPatch", "ClusterRoleBindingPatch"],
  ])("refuses the cluster-scoped %s", async (type, kind) => {
    expect(await violations(clusterScoped(type, kind))).toEqual([
      expect.stringMatching(new RegExp(`(^|/)${kind} is cluster-scoped and not allowed`)),
    ]);
  });

  it("refuses a List kind, whose items it cannot check one by one", async () => {
    const list = { type: "kubernetes:core/v1:ConfigMapList", name: "many", props: { items: [] } };

    expect(await violations(list)).toEqual([
      "ConfigMapList is not allowed: declare each object on its own so the rules can check it",
    ]);
  });

  it("refuses a Helm Release, whose objects no rule sees", async () => {
    const release = {
      type: "kubernetes:helm.sh/v3:Release",
      name: "chart",
      props: { chart: "anything", namespace: NAMESPACE },
    };

    expect(await violations(release)).toEqual([
      "a Helm Release is not allowed: the objects of its chart are created by the provider, where no rule can check them",
    ]);
  });

  it("leaves a YAML component to the objects it registers", async () => {
    const component = {
      type: "kubernetes:yaml/v2:ConfigFile",
      name: "manifests",
      props: { file: "app.yaml" },
    };

    const outcome = await validateResource(namespaceConfinement, component, CONFIG);

    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toHaveLength(1);
  });

  describe("without config", () => {
    it("accepts a namespaced object in any namespace", async () => {
      expect(await violations(configMap({ namespace: "elsewhere" }), {})).toEqual([]);
    });

    it("still refuses a namespaced object without a namespace", async () => {
      expect(await violations(configMap({ namespace: undefined }), {})).toEqual([
        "metadata.namespace must be set: without it the object lands in the provider's default namespace",
      ]);
    });

    it("still refuses cluster-scoped kinds", async () => {
      expect(await violations(clusterRole(), {})).toHaveLength(1);
    });
  });
});
