/**
 * Finding 2 on the cluster: an app scaled to zero costs no share yet makes an Deployment, a
 * Service and an Ingress, and Ingresses were not in the namespace's ResourceQuota, so a
 * project's token could make any number of them (and of Deployments scaled to zero). The quota
 * now counts Ingresses and Deployments, exactly those the spec makes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../../localzone/zone.js";
import type { ProjectSpecInput } from "../../../spec/project.js";
import { kubeGet, kubeSend, statusMessage } from "../helpers/local-zone.js";
import { ProjectStack, uniqueProject } from "../helpers/project-stack.js";

const zone = simulatedZone();
const project = uniqueProject("it-sec02");

/** One app scaled to zero: nothing of the share, one Ingress (the local zone issues no certificates). */
const spec: ProjectSpecInput = {
  project,
  zone: zone.name,
  apps: [{ name: "idle", image: "registry.k8s.io/pause:3.10", replicas: 0 }],
};

/** An Ingress to the app's Service on another host of the zone. */
function ingress(name: string): object {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name },
    spec: {
      ingressClassName: zone.ingressClass,
      rules: [
        {
          host: `${name}.${zone.baseDomain}`,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "idle", port: { name: "http" } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** A Deployment scaled to zero: no pod, so nothing but the object count can stop it. */
function idleDeployment(name: string): object {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10" }] },
      },
    },
  };
}

describe("the ResourceQuota of a tenant namespace and the objects of apps", () => {
  let stack: ProjectStack;

  beforeAll(async () => {
    stack = await ProjectStack.create(spec, zone);
    await stack.up(spec);
  });

  afterAll(async () => {
    await stack?.dispose();
  });

  it("counts Ingresses, allowing exactly the one the app has", async () => {
    const quota = await kubeGet<{ spec: { hard: Record<string, string> } }>(
      `/api/v1/namespaces/${project}/resourcequotas/pluskube-quota`,
    );

    expect(quota.spec.hard["count/ingresses.networking.k8s.io"]).toBe("1");
    expect(quota.spec.hard["count/deployments.apps"]).toBe("1");
  });

  it("refuses an Ingress beyond the app's own, whoever sends it", async () => {
    const response = await kubeSend(
      "POST",
      `/apis/networking.k8s.io/v1/namespaces/${project}/ingresses?dryRun=All`,
      ingress("extra"),
    );
    const message = statusMessage(response.body);

    expect(response.status, message).toBe(403);
    expect(message).toContain("exceeded quota: pluskube-quota");
    expect(message).toContain("count/ingresses.networking.k8s.io=1");
  });

  it("refuses a Deployment beyond the app's own, even one scaled to zero", async () => {
    const response = await kubeSend(
      "POST",
      `/apis/apps/v1/namespaces/${project}/deployments?dryRun=All`,
      idleDeployment("extra"),
    );
    const message = statusMessage(response.body);

    expect(response.status, message).toBe(403);
    expect(message).toContain("exceeded quota: pluskube-quota");
    expect(message).toContain("count/deployments.apps=1");
  });
});
