import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Drift } from "../../automation-api/runner/runner.js";
import { RECONCILE_PRIORITY } from "../../automation-api/jobs/reconcile-schedule.js";
import { TestService, testZone } from "./harness.js";

type Operation = {
  id: string;
  status: string;
  request: string;
  message: string | null;
  events?: { type: string; data: Record<string, unknown> }[];
};
type Reconcile = {
  status: string;
  lastAt: string | null;
  lastResult: string | null;
  message: string | null;
  failures: number;
  nextAt: string | null;
  lastRepair?: string;
};

const roomy = { capacity: { cpu: "64", memory: "128Gi", disk: "2Ti", databaseGB: 1000, objectGB: 1000 } };
// Every second, backing off to at most 3 s, reported after 2 failures in a row.
const quick = { reconcile: { intervalSeconds: 1, maxBackoffSeconds: 3, reportAfterFailures: 2 } };

function drift(project: string, kind: string, name: string, op: string, properties?: string[]): Drift {
  const type =
    kind === "Deployment" ? "kubernetes:apps/v1:Deployment" : `kubernetes:networking.k8s.io/v1:${kind}`;
  return {
    urn: `urn:pulumi:${project}.testzone::pluskube-project::pluskube:index:AppClaim$${type}::${name}`,
    resourceType: type,
    op,
    ...(properties ? { properties } : {}),
  };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("the reconciler", () => {
  let service: TestService;
  let ana: string;

  beforeAll(async () => {
    service = await TestService.start({
      zones: [testZone("testzone", { ...roomy, ...quick })],
      jobs: { reconcile: true, reconcileTickSeconds: 0.2 },
    });
    ana = await service.user("ana");
  });
  afterAll(async () => {
    await service.close();
  });

  const operations = async (project: string) =>
    (await service.get<{ items: Operation[] }>(`/v1/projects/${project}/operations`, ana)).body.items;
  const reconcile = async (project: string) =>
    (await service.get<{ reconcile: Reconcile }>(`/v1/projects/${project}`, ana)).body.reconcile;

  it("records a reconcile that finds nothing on the project only, without an operation", async () => {
    await service.project(ana, "calm");
    const before = await operations("calm");

    const state = await until("a reconcile of calm", async () => {
      const current = await reconcile("calm");
      return current.lastAt ? current : undefined;
    });

    expect(state).toMatchObject({ status: "in-sync", lastResult: "in-sync", message: null, failures: 0 });
    expect(new Date(state.nextAt ?? 0).getTime()).toBeGreaterThan(new Date(state.lastAt ?? 0).getTime());
    expect(await operations("calm")).toHaveLength(before.length);
    // The list reads the same row; another reconcile may have run since, so not its times.
    const listed = await service.get<{ items: { name: string; reconcile: Reconcile }[] }>(
      "/v1/projects",
      ana,
    );
    const inList = listed.body.items.find((project) => project.name === "calm")?.reconcile;
    expect(inList).toMatchObject({ status: "in-sync", lastResult: "in-sync", message: null, failures: 0 });
    expect(inList?.lastAt).not.toBeNull();
    expect(service.runner.runs.some((run) => run.kind === "drift" && run.stack === "calm.testzone")).toBe(
      true,
    );
  });

  it("repairs drift with an update that refreshes, under an operation that says what drifted", async () => {
    await service.project(ana, "drifty");
    const put = await service.put<Operation>("/v1/projects/drifty/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, put.body.id);
    service.runner.drifted.set("drifty", [
      drift("drifty", "Deployment", "web-deployment", "create"),
      drift("drifty", "NetworkPolicy", "drifty-allow-ingress", "update", ["spec"]),
    ]);

    const repair = await until("a repair of drifty", async () =>
      (await operations("drifty")).find((operation) => operation.request === "reconcile"),
    );
    service.runner.drifted.delete("drifty");
    const done = await service.settle(ana, repair.id);
    const detail = (await service.get<Operation>(`/v1/operations/${repair.id}`, ana)).body;

    expect(done["status"]).toBe("succeeded");
    expect(detail.message).toBe(
      "repaired drift: Deployment web-deployment was deleted; NetworkPolicy drifty-allow-ingress was changed (spec)",
    );
    const driftEvent = detail.events?.find((event) => event.type === "drift");
    expect(driftEvent?.data["resources"]).toEqual([
      expect.objectContaining({ resourceType: "kubernetes:apps/v1:Deployment", op: "create" }),
      expect.objectContaining({
        resourceType: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        op: "update",
      }),
    ]);
    expect(service.runner.ups("drifty.testzone").at(-1)?.refresh).toBe(true);
    const state = await until("the repair recorded", async () => {
      const current = await reconcile("drifty");
      return current.lastResult === "repaired" ? current : undefined;
    });
    expect(state).toMatchObject({
      status: "repaired",
      failures: 0,
      lastRepair: `/v1/operations/${repair.id}`,
    });
  });

  it("backs off a project whose reconciles keep failing and reports it once", async () => {
    await service.project(ana, "broken");
    service.runner.drifted.set("broken", new Error("the cluster did not answer"));
    const started = Date.now();

    const failing = await until("broken to be failing", async () => {
      const current = await reconcile("broken");
      return current.status === "failing" ? current : undefined;
    });
    const reports = (await operations("broken")).filter((operation) => operation.request === "reconcile");
    const looks = service.runner.runs.filter(
      (run) => run.kind === "drift" && run.stack === "broken.testzone",
    );

    expect(failing.failures).toBe(2);
    expect(failing.message).toBe("looking for drift failed: the comparison stopped before it finished");
    // Waits 2 s (capped at 3 s) after the first failure, not the 1 s interval: no tight loop.
    expect(Date.now() - started).toBeGreaterThan(1_500);
    expect(new Date(failing.nextAt ?? 0).getTime() - new Date(failing.lastAt ?? 0).getTime()).toBeGreaterThan(
      2_500,
    );
    expect(looks.length).toBe(2);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: "failed" });
    expect(reports[0]?.message).toContain("reconcile failed 2 times in a row");

    service.runner.drifted.delete("broken");
    const healed = await until("broken to heal", async () => {
      const current = await reconcile("broken");
      return current.lastResult === "in-sync" ? current : undefined;
    });
    expect(healed).toMatchObject({ status: "in-sync", failures: 0 });
  });
});

describe("a member's request and a waiting reconcile of the same stack", () => {
  let service: TestService;
  let ana: string;

  beforeAll(async () => {
    // No workers: jobs stay waiting, so their order in the queue can be read.
    service = await TestService.start({ zones: [testZone("testzone", roomy)], workers: false });
    ana = await service.user("ana");
  });
  afterAll(async () => {
    await service.close();
  });

  const waiting = async (stack: string) => {
    const { rows } = await service.store.executor.executeSql(
      "select priority, data from pgboss.job where name = 'stack-up' and singleton_key = $1 and state = 'created'",
      [stack],
    );
    return rows as { priority: number; data: { reconcile?: boolean } }[];
  };

  it("are one job, which the member's request lifts to the member's priority", async () => {
    await service.project(ana, "shared");
    const user = await service.store.findUserByName("ana");
    const project = user && (await service.store.findProject(user.id, "shared"));
    if (!project) throw new Error("project shared was not made");
    await service.store.executor.executeSql("delete from pgboss.job where singleton_key = $1", [
      "shared.testzone",
    ]);
    await service.store.transaction((queries) =>
      service.jobs.enqueueReconcile(queries, {
        projectId: project.id,
        stack: "shared.testzone",
        reconcile: true,
      }),
    );
    expect(await waiting("shared.testzone")).toEqual([
      expect.objectContaining({ priority: RECONCILE_PRIORITY }),
    ]);

    const put = await service.put<Operation>("/v1/projects/shared/apps/web", ana, { image: "nginx:1" });

    expect(put.status).toBe(202);
    expect(await waiting("shared.testzone")).toEqual([expect.objectContaining({ priority: 0 })]);
  });
});
