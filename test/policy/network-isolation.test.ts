import { describe, expect, it } from "vitest";
import { isDefaultDeny, networkIsolation } from "../../policy/rules/network-isolation.js";
import {
  clusterRole,
  configMap,
  deployment,
  namespace,
  networkPolicy,
  postgresRole,
  sameNamespacePolicy,
  service,
} from "./fixtures.js";
import { messages, validateResource, validateStack, type FakeResource } from "./harness.js";

const NO_DEFAULT_DENY =
  "namespace 'shop' has no default-deny NetworkPolicy: one with spec.podSelector {}, spec.policyTypes [Ingress, Egress] and no ingress or egress rules";

async function stackViolations(resources: FakeResource[]): Promise<string[]> {
  return messages(await validateStack(networkIsolation, resources));
}

describe("network-isolation", () => {
  describe("Services", () => {
    it("accepts a ClusterIP Service", async () => {
      expect(messages(await validateResource(networkIsolation, service()))).toEqual([]);
    });

    it("accepts a Service that leaves its type to the default", async () => {
      expect(messages(await validateResource(networkIsolation, service({ type: undefined })))).toEqual([]);
    });

    it.each(["NodePort", "LoadBalancer", "ExternalName"])("refuses type %s", async (type) => {
      const outcome = await validateResource(networkIsolation, service({ type }));

      expect(messages(outcome)).toEqual([
        `spec.type must be ClusterIP, got '${type}': apps are reached through the zone's ingress, not the nodes' addresses`,
      ]);
    });

    it("refuses externalIPs", async () => {
      const outcome = await validateResource(networkIsolation, service({ externalIPs: ["203.0.113.7"] }));

      expect(messages(outcome)).toEqual([
        "spec.externalIPs must be empty: a Service may not claim the nodes' addresses",
      ]);
    });

    it.each([
      ["kubernetes:core/v1:Endpoints", "Endpoints"],
      ["kubernetes:discovery.k8s.io/v1:EndpointSlice", "EndpointSlice"],
    ])("refuses hand-written %s, which can point a Service anywhere", async (type, kind) => {
      const endpoints = {
        type,
        name: "web-endpoints",
        props: { metadata: { name: "web", namespace: "shop" } },
      };

      expect(messages(await validateResource(networkIsolation, endpoints))).toEqual([
        `${kind} objects are not allowed: written by hand they route a Service, and the ingress in front of it, to any address`,
      ]);
    });

    it("is not applicable to other resources", async () => {
      expect((await validateResource(networkIsolation, deployment())).notApplicable).toHaveLength(1);
    });
  });

  describe("default deny", () => {
    const project = [namespace(), networkPolicy(), sameNamespacePolicy(), deployment(), service()];

    it("accepts a namespace with a default-deny policy", async () => {
      expect(await stackViolations(project)).toEqual([]);
    });

    it("refuses a namespace without one", async () => {
      expect(await stackViolations([namespace(), sameNamespacePolicy(), deployment()])).toEqual([
        NO_DEFAULT_DENY,
      ]);
    });

    it("refuses a default deny that selects only some pods", async () => {
      const partial = networkPolicy({ podSelector: { matchLabels: { "pluskube.dev/app": "web" } } });

      expect(await stackViolations([namespace(), partial, deployment()])).toEqual([NO_DEFAULT_DENY]);
    });

    it("refuses a default deny that selects pods by expression", async () => {
      const partial = networkPolicy({
        podSelector: { matchExpressions: [{ key: "pluskube.dev/app", operator: "Exists" }] },
      });

      expect(await stackViolations([namespace(), partial, deployment()])).toEqual([NO_DEFAULT_DENY]);
    });

    it("refuses a default deny of ingress only", async () => {
      expect(
        await stackViolations([namespace(), networkPolicy({ policyTypes: ["Ingress"] }), deployment()]),
      ).toEqual([NO_DEFAULT_DENY]);
    });

    it("refuses a default deny of egress only", async () => {
      expect(
        await stackViolations([namespace(), networkPolicy({ policyTypes: ["Egress"] }), deployment()]),
      ).toEqual([NO_DEFAULT_DENY]);
    });

    it("refuses a 'default deny' that has an ingress rule", async () => {
      const allowAll = networkPolicy({ ingress: [{}] });

      expect(await stackViolations([namespace(), allowAll, deployment()])).toEqual([NO_DEFAULT_DENY]);
    });

    it("refuses a 'default deny' that has an egress rule", async () => {
      const allowAll = networkPolicy({ egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });

      expect(await stackViolations([namespace(), allowAll, deployment()])).toEqual([NO_DEFAULT_DENY]);
    });

    it("refuses a default deny that sits in another namespace", async () => {
      const elsewhere = networkPolicy({}, { namespace: "other" });

      expect(await stackViolations([namespace(), elsewhere, deployment()])).toEqual([NO_DEFAULT_DENY]);
    });

    it("checks every namespace the stack puts objects in", async () => {
      const stray = configMap({ namespace: "stray" });

      expect(await stackViolations([...project, stray])).toEqual([
        expect.stringMatching(/^namespace 'stray' has no default-deny NetworkPolicy/),
      ]);
    });

    it("leaves cluster-scoped objects out of the namespaces it checks", async () => {
      expect(await stackViolations([...project, clusterRole()])).toEqual([]);
    });

    it("is not applicable to a stack without namespaced Kubernetes objects", async () => {
      const outcome = await validateStack(networkIsolation, [postgresRole()]);

      expect(outcome.violations).toEqual([]);
      expect(outcome.notApplicable).toHaveLength(1);
    });

    it("tells a default deny from the spec alone", () => {
      expect(
        isDefaultDeny({ podSelector: {}, policyTypes: ["Egress", "Ingress"], ingress: [], egress: [] }),
      ).toBe(true);
      expect(isDefaultDeny(undefined)).toBe(false);
    });
  });
});
