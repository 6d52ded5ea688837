/**
 * The third quota guard and the isolation under it: in a tenant namespace made by a project
 * stack, the cluster itself (its admission plugins) refuses what no project may run, whoever
 * sends it. Requests go straight to the API server as the zone's administrator, so nothing but
 * the namespace's own fences stands in the way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../localzone/zone.js";
import type { ProjectSpecInput } from "../../spec/project.js";
import { kubeSend, statusMessage } from "./helpers/local-zone.js";
import { ProjectStack, uniqueProject } from "./helpers/project-stack.js";

const zone = simulatedZone();
const project = uniqueProject("it-refusals");

/**
 * One app of one replica of one chunk: the quota holds two pods of 250m, 512Mi and 1Gi (the
 * replica and a rollout's surge pod), so the running app leaves room for one more such pod.
 */
const spec: ProjectSpecInput = {
  project,
  zone: zone.name,
  apps: [{ name: "web", image: "registry.k8s.io/pause:3.10" }],
};

interface PodOptions {
  readonly cpu?: string;
  readonly privileged?: boolean;
}

/** A pod that meets Pod Security `restricted` and asks for one chunk, unless told otherwise. */
function pod(name: string, { cpu = "250m", privileged = false }: PodOptions = {}): object {
  const resources = { cpu, memory: "512Mi", "ephemeral-storage": "1Gi" };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "app",
          image: "registry.k8s.io/pause:3.10",
          // The API rejects privileged together with allowPrivilegeEscalation: false as invalid
          // before admission, so a privileged container leaves the latter out.
          securityContext: privileged
            ? { privileged: true, capabilities: { drop: ["ALL"] } }
            : { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          resources: { requests: resources, limits: resources },
        },
      ],
    },
  };
}

/** Creates an object in the project's namespace without persisting it (server-side dry run). */
async function tryCreate(collection: string, object: object): Promise<{ status: number; message: string }> {
  const response = await kubeSend("POST", `/api/v1/namespaces/${project}/${collection}?dryRun=All`, object);
  return { status: response.status, message: statusMessage(response.body) };
}

describe("the cluster in a tenant namespace", () => {
  let stack: ProjectStack;

  beforeAll(async () => {
    stack = await ProjectStack.create(spec, zone);
    await stack.up(spec);
  });

  afterAll(async () => {
    await stack?.dispose();
  });

  it("admits a restricted pod that fits the room the quota has left", async () => {
    const answer = await tryCreate("pods", pod("fits"));

    expect(answer.status, answer.message).toBe(201);
  });

  it("refuses a privileged pod under Pod Security restricted", async () => {
    const answer = await tryCreate("pods", pod("privileged", { privileged: true }));

    expect(answer.status).toBe(403);
    expect(answer.message).toContain('violates PodSecurity "restricted:latest"');
    expect(answer.message).toContain('container "app" must not set securityContext.privileged=true');
  });

  it("refuses a pod that asks for more cpu than the namespace's ResourceQuota has left", async () => {
    const answer = await tryCreate("pods", pod("too-big", { cpu: "500m" }));

    expect(answer.status).toBe(403);
    expect(answer.message).toContain("exceeded quota: pluskube-quota");
    // The app's replica holds 250m of the quota's 500m.
    expect(answer.message).toMatch(
      /requested: .*requests\.cpu=500m.*, used: .*requests\.cpu=250m.*, limited: .*requests\.cpu=500m/,
    );
  });

  it("refuses a NodePort Service, as the quota allows no node ports", async () => {
    const answer = await tryCreate("services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "exposed" },
      spec: { type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    });

    expect(answer.status).toBe(403);
    expect(answer.message).toContain("exceeded quota: pluskube-quota");
    expect(answer.message).toContain("services.nodeports=1");
  });
});
