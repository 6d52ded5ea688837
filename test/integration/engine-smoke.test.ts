import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { localKubeconfig, simulatedZone } from "../../localzone/zone.js";
import { kubeGet, workspaceOptions } from "./helpers/local-zone.js";

interface Deployment {
  status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
}
interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string } }[];
}

const namespace = `engine-smoke-${process.pid}`;

/** A namespace and a two-replica Deployment, through an explicit provider for the local zone. */
function program(): Promise<Record<string, unknown>> {
  const zone = simulatedZone();
  const provider = new k8s.Provider("local-zone", {
    kubeconfig: readFileSync(localKubeconfig(zone), "utf8"),
    context: zone.context,
  });
  const ns = new k8s.core.v1.Namespace("smoke", { metadata: { name: namespace } }, { provider });
  const labels = { app: "smoke" };
  const deployment = new k8s.apps.v1.Deployment(
    "smoke",
    {
      metadata: { namespace: ns.metadata.name, name: "smoke" },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            // The simulated nodes' RuntimeClass carries their toleration: kwok, not the real node.
            runtimeClassName: zone.runtimeClass,
            containers: [
              {
                name: "app",
                image: "registry.k8s.io/pause:3.10",
                resources: {
                  requests: { cpu: "250m", memory: "512Mi" },
                  limits: { cpu: "250m", memory: "512Mi" },
                },
              },
            ],
          },
        },
      },
    },
    { provider },
  );
  return Promise.resolve({ deployment: deployment.metadata.name });
}

describe("the engine on the local zone", () => {
  it("creates a Deployment that becomes Available on kwok nodes, then destroys it", async () => {
    const { envVars, pulumiCommand } = await workspaceOptions();
    const stack: Stack = await LocalWorkspace.createOrSelectStack(
      { projectName: "pluskube-engine-smoke", stackName: `smoke-${process.pid}`, program },
      { envVars, pulumiCommand },
    );
    try {
      const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });
      expect(up.summary.result).toBe("succeeded");

      const deployment = await kubeGet<Deployment>(`/apis/apps/v1/namespaces/${namespace}/deployments/smoke`);
      const available = deployment.status?.conditions?.find((c) => c.type === "Available");
      expect(available?.status).toBe("True");
      expect(deployment.status?.availableReplicas).toBe(2);
      const pods = await kubeGet<PodList>(`/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dsmoke`);
      expect(pods.items).toHaveLength(2);
      for (const pod of pods.items) {
        expect(pod.spec.nodeName).toMatch(/^kwok-node-\d+$/);
        expect(pod.status.phase).toBe("Running");
      }

      const destroy = await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
      expect(destroy.summary.result).toBe("succeeded");
    } finally {
      await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    }
  });
});
