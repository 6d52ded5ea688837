/**
 * The reconciler on the local zone with the real engine: a member's app loses its Deployment and
 * gets a NetworkPolicy edited behind pluskube's back; the next reconcile puts both back and the
 * member's operation list says what drifted.
 */
import { createLogger } from "../../automation-api/observability/log.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../localzone/zone.js";
import { eventually, kubeGet, kubeSend, statusMessage } from "./helpers/local-zone.js";
import { MemberService, SETTLE_MS } from "./helpers/member-service.js";
import { uniqueProject } from "./helpers/project-stack.js";

type Operation = {
  id: string;
  status: string;
  request: string;
  message: string | null;
  createdAt: string;
  finishedAt: string | null;
  events?: { type: string; data: Record<string, unknown> }[];
};
type NetworkPolicy = {
  spec: { podSelector: unknown; ingress?: { from?: unknown[] }[]; policyTypes?: string[] };
};

// Long enough for a refresh and a repair to finish inside it.
const INTERVAL_SECONDS = 90;
const project = uniqueProject("it-recon");
const zone = {
  ...simulatedZone(),
  reconcile: { intervalSeconds: INTERVAL_SECONDS, maxBackoffSeconds: 600, reportAfterFailures: 3 },
};
const policyPath = `/apis/networking.k8s.io/v1/namespaces/${project}/networkpolicies/pluskube-allow-same-namespace`;
const deploymentPath = `/apis/apps/v1/namespaces/${project}/deployments/web`;

let member: MemberService;

beforeAll(async () => {
  member = await MemberService.start("it-reconcile", zone, {
    reconcile: true,
    reconcileTickSeconds: 2,
    logger: createLogger({ level: "info", destination: process.stderr }),
  });
  await member.apply(`/v1/projects/${project}`, { zone: "local" });
  await member.apply(`/v1/projects/${project}/apps/web`, { image: "nginx:1.27" });
}, 1_800_000);

afterAll(async () => {
  await member?.close([project]);
}, 1_800_000);

const operations = async () =>
  (await member.get<{ items: Operation[] }>(`/v1/projects/${project}/operations`)).body.items;

describe("drift behind the stack's back", () => {
  it("is repaired within one interval, and the member's operations say what drifted", async () => {
    // A reconcile that finds nothing leaves no operation behind.
    const quiet = await eventually(
      "a first reconcile",
      async () => {
        const { body } = await member.get<{ reconcile: { lastResult: string | null } }>(
          `/v1/projects/${project}`,
        );
        return body.reconcile.lastResult ?? undefined;
      },
      (INTERVAL_SECONDS * 1.1 + 120) * 1000,
    );
    expect(quiet).toBe("in-sync");
    const before = await operations();
    expect(before.filter((operation) => operation.request === "reconcile")).toEqual([]);

    const original = await kubeGet<NetworkPolicy>(policyPath);
    const deleted = await kubeSend("DELETE", deploymentPath);
    expect(deleted.status, statusMessage(deleted.body)).toBe(200);
    const edited = await kubeSend("PUT", policyPath, {
      ...(await kubeGet<Record<string, unknown>>(policyPath)),
      spec: { ...original.spec, ingress: [{}] },
    });
    expect(edited.status, statusMessage(edited.body)).toBe(200);
    const tampered = Date.now();

    const repair = await eventually(
      "a repair operation",
      async () => (await operations()).find((operation) => operation.request === "reconcile"),
      (INTERVAL_SECONDS * 1.1 + 120) * 1000,
    ).catch(async (error: unknown) => {
      // Says what the reconciler last saw, which the timeout alone would not.
      const { body } = await member.get<{ reconcile: unknown }>(`/v1/projects/${project}`);
      throw new Error(`${String(error)}; the project's reconcile: ${JSON.stringify(body.reconcile)}`);
    });
    const done = await member.service.settle(member.token, repair.id, SETTLE_MS);
    const repairedAfter = Date.now() - tampered;
    const detail = (await member.get<Operation>(`/v1/operations/${repair.id}`)).body;
    console.log(
      `reconcile: found ${new Date(repair.createdAt).getTime() - tampered} ms after the tampering, ` +
        `repaired ${repairedAfter} ms after it (interval ${INTERVAL_SECONDS} s)`,
    );

    expect(done["status"], String(done["message"])).toBe("succeeded");
    // The reconcile that found it was due within one interval (spread by at most 10%) of the
    // tampering; its operation comes after the scheduler's tick, the queue's poll and the
    // comparison itself, a few seconds each at most.
    expect(new Date(repair.createdAt).getTime() - tampered).toBeLessThan(
      (INTERVAL_SECONDS * 1.1 + 15) * 1000,
    );
    // Resources go by their names in the stack: the app's and the tenant namespace's children.
    expect(detail.message).toContain("Deployment app-web-deployment was deleted");
    expect(detail.message).toContain(`NetworkPolicy ${project}-allow-same-namespace was changed`);
    const drift = detail.events?.find((event) => event.type === "drift");
    expect(drift?.data["resources"]).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resourceType: "kubernetes:apps/v1:Deployment", op: "create" }),
        expect.objectContaining({
          resourceType: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
          op: "update",
        }),
      ]),
    );
    const restored = await kubeGet<NetworkPolicy>(policyPath);
    expect(restored.spec).toEqual(original.spec);
    expect((await kubeSend("GET", deploymentPath)).status).toBe(200);

    const { body } = await member.get<{ reconcile: { status: string; lastRepair?: string } }>(
      `/v1/projects/${project}`,
    );
    expect(body.reconcile).toMatchObject({ status: "repaired", lastRepair: `/v1/operations/${repair.id}` });
  }, 1_800_000);
});
