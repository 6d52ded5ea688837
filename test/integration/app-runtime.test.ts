import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../localzone/zone.js";
import { openTunnel } from "../service/app-runtime/tunnel-client.js";
import { kubeRequest } from "../../localzone/zone/kube.js";
import { eventually, kubeGet, kubeSend, localKube, statusMessage } from "./helpers/local-zone.js";
import { MemberService, SETTLE_MS } from "./helpers/member-service.js";
import { uniqueProject } from "./helpers/project-stack.js";

/**
 * An app's runtime views (status, logs, port-forward) through the service on the local zone,
 * with the real engine, API server and controllers.
 *
 * What is simulated: the zone's nodes are kwok's. kwok's `pod-ready` stage writes a scheduled
 * pod's status (phase Running; conditions Initialized, Ready and ContainersReady; each container
 * ready, running, 0 restarts; a pod IP) and nothing runs: there are no containers, no kubelet
 * answering on the nodes' addresses, so no logs and no port-forward target. The Deployment,
 * ReplicaSet, scheduler and quota controllers are real, and so are their events and refusals.
 * The tests assert what that can show: replicas and pods' phase and readiness, the objects'
 * events, a pod the project's quota refuses told in plain words, and logs and port-forward
 * answering with the problem the API server's refusal maps to.
 */

type Status = {
  replicas: Record<string, number>;
  pods: { name: string; phase: string; ready: boolean; restarts: number }[];
  problems: { reason: string; explanation: string }[];
  events: { reason: string; object: { kind: string } }[];
};

const PROJECT = uniqueProject("it-runtime");
const STATUS = `/v1/projects/${PROJECT}/apps/web/status`;
let member: MemberService;

beforeAll(async () => {
  member = await MemberService.start("it-runtime-user", simulatedZone());
  await member.apply(`/v1/projects/${PROJECT}`, { zone: "local" });
  await member.apply(`/v1/projects/${PROJECT}/apps/web`, { image: "nginx:1.27", replicas: 2 });
}, SETTLE_MS * 2);

afterAll(async () => {
  await member?.close([PROJECT]);
}, SETTLE_MS);

describe("an app's runtime on the local zone", () => {
  it("reports the deployed app's replicas and kwok's running, ready pods", async () => {
    const status = await eventually("both replicas ready", async () => {
      const response = await member.get<Status>(STATUS);
      return response.body.replicas["ready"] === 2 ? response.body : undefined;
    });

    expect(status.replicas).toMatchObject({ desired: 2, ready: 2, updated: 2 });
    expect(status.pods).toHaveLength(2);
    for (const pod of status.pods) expect(pod).toMatchObject({ phase: "Running", ready: true, restarts: 0 });
  });

  it("lists the events of the app's objects (scaling, pod creation, scheduling)", async () => {
    const { body } = await member.get<Status>(STATUS);

    const reasons = body.events.map((event) => `${event.object.kind}/${event.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining(["Deployment/ScalingReplicaSet", "ReplicaSet/SuccessfulCreate"]),
    );
  });

  it("tells in plain words that the project's quota refused a pod", async () => {
    // The project's quota is made to allow one pod fewer than the app has; the ReplicaSet's next
    // pod is then refused at admission, as it is when a member's project is full.
    const quotas = await kubeGet<{ items: { metadata: { name: string } }[] }>(
      `/api/v1/namespaces/${PROJECT}/resourcequotas`,
    );
    const quota = quotas.items[0]?.metadata.name ?? "";
    const patched = await kubeRequest(
      localKube(),
      "PATCH",
      `/api/v1/namespaces/${PROJECT}/resourcequotas/${quota}`,
      { spec: { hard: { pods: "1" } } },
      "application/merge-patch+json",
    );
    expect(patched.status, statusMessage(patched.body)).toBe(200);
    const pods = await kubeGet<{ items: { metadata: { name: string } }[] }>(
      `/api/v1/namespaces/${PROJECT}/pods`,
    );
    await kubeSend("DELETE", `/api/v1/namespaces/${PROJECT}/pods/${pods.items[0]?.metadata.name ?? ""}`);

    const status = await eventually(
      "the quota's refusal in the status",
      async () => {
        const response = await member.get<Status>(STATUS);
        return response.body.problems.some((problem) => problem.reason === "FailedCreate")
          ? response.body
          : undefined;
      },
      120_000,
    );

    expect(status.problems.find((problem) => problem.reason === "FailedCreate")?.explanation).toMatch(
      /quota .* has no room for another pod/,
    );
    expect(status.replicas["ready"]).toBeLessThan(2);
  }, 180_000);

  it("answers a log request with 502 pod-unreachable: the API server finds no log (404) on a kwok node", async () => {
    const response = await member.get<Record<string, unknown>>(
      `/v1/projects/${PROJECT}/apps/web/logs?tail=10`,
    );

    expect(response.status, response.text).toBe(502);
    expect(response.body["type"]).toMatch(/pod-unreachable$/);
    expect(response.body["detail"]).toMatch(
      /kubelet of its node did not serve it \(the cluster answered 404\)/,
    );
    expect(response.text).not.toMatch(/10\.0\.0\.1/);
  }, 120_000);

  it("answers a port-forward with 502 pod-unreachable: the API server refuses the upgrade (403) on a kwok node", async () => {
    const outcome = await openTunnel(
      member.service.url,
      `/v1/projects/${PROJECT}/apps/web/port-forward?port=8080`,
      member.token,
    );

    expect(outcome).toMatchObject({
      open: false,
      status: 502,
      body: {
        type: expect.stringMatching(/pod-unreachable$/),
        detail: expect.stringMatching(/answered 403/),
      },
    });
  }, 120_000);
});
