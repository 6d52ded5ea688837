import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { StackJobs } from "../../automation-api/jobs/stack-jobs.js";
import { staticZones } from "../../automation-api/domain/zones.js";
import { FakeRunner } from "./fake-runner.js";
import { TestService, testZone } from "./harness.js";
import { readEventStream } from "./sse.js";

type Operation = {
  id: string;
  status: string;
  message: string | null;
  events: { type: string; data: Record<string, unknown> }[];
};

let service: TestService;
let ana: string;

const roomy = { capacity: { cpu: "64", memory: "128Gi", disk: "2Ti", databaseGB: 1000, objectGB: 1000 } };

beforeAll(async () => {
  service = await TestService.start({ zones: [testZone("testzone", roomy)] });
  ana = await service.user("ana");
});
afterEach(() => {
  service.runner.delayMs = 0;
  service.runner.onRun = undefined;
  service.runner.refuse.clear();
});
afterAll(async () => {
  await service.close();
});

describe("operations", () => {
  it("go from queued to succeeded and keep the engine's events", async () => {
    await service.project(ana, "events");

    const accepted = await service.put<Operation>("/v1/projects/events/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, accepted.body.id);
    const operation = await service.get<Operation & { startedAt: string; finishedAt: string }>(
      `/v1/operations/${accepted.body.id}`,
      ana,
    );

    expect(accepted.body.status).toBe("queued");
    expect(operation.body.status).toBe("succeeded");
    expect(operation.body.startedAt).toBeTruthy();
    expect(operation.body.finishedAt).toBeTruthy();
    expect(operation.body.events.map((event) => event.type)).toEqual([
      "run",
      "resource",
      "resource",
      "summary",
      "run",
    ]);
    expect(operation.body.events[0]?.data).toMatchObject({ phase: "started", kind: "update", attempt: 1 });
    expect(operation.body.events.at(-1)?.data).toMatchObject({ phase: "succeeded" });
  });

  it("fail with the engine's message when the engine refuses, and the spec stays undeployed", async () => {
    await service.project(ana, "refused");
    service.runner.refuse.set("refused", "tenant-quota: the stack asks for 3000m CPU, its share is 2000m");

    const accepted = await service.put<Operation>("/v1/projects/refused/apps/web", ana, { image: "nginx:1" });
    const operation = await service.settle(ana, accepted.body.id);
    const project = await service.get("/v1/projects/refused", ana);

    expect(operation["status"]).toBe("failed");
    expect(operation["message"]).toMatch(
      /^updating the project's stack failed: policy tenant-quota: tenant-quota: the stack asks for 3000m CPU, its share is 2000m \(reference [0-9a-f-]+;/,
    );
    expect(project.body["appliedRevision"]).toBeLessThan(project.body["revision"] as number);
    expect(service.runner.ups("refused.testzone")).toHaveLength(2);
  });

  it("answer 404 for an id that is not an operation or not the caller's", async () => {
    const bruno = await service.user("bruno");
    await service.project(ana, "mine");
    const operations = await service.get<{ items: { id: string }[] }>("/v1/projects/mine/operations", ana);

    expect((await service.get(`/v1/operations/${operations.body.items[0]?.id}`, bruno)).status).toBe(404);
    expect((await service.get("/v1/operations/00000000-0000-0000-0000-000000000000", ana)).status).toBe(404);
    expect((await service.get("/v1/operations/nonsense", ana)).status).toBe(404);
  });
});

describe("GET /v1/operations/{id}/events", () => {
  it("streams stored events, follows new ones, and ends with done", async () => {
    await service.project(ana, "stream");
    service.runner.delayMs = 600;

    const accepted = await service.put<Operation>("/v1/projects/stream/apps/web", ana, { image: "nginx:1" });
    const stream = await readEventStream(`${service.url}/v1/operations/${accepted.body.id}/events`, ana);

    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.events.map((event) => event.event)).toEqual([
      "run",
      "resource",
      "resource",
      "summary",
      "run",
      "done",
    ]);
    expect(stream.events.at(-1)?.data).toMatchObject({ id: accepted.body.id, status: "succeeded" });
  });

  it("replays a finished operation and resumes after Last-Event-ID", async () => {
    await service.project(ana, "replay");
    const accepted = await service.put<Operation>("/v1/projects/replay/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, accepted.body.id);
    const url = `${service.url}/v1/operations/${accepted.body.id}/events`;

    const full = await readEventStream(url, ana);
    const resumed = await readEventStream(url, ana, { lastEventId: full.events[2]?.id });

    expect(full.events).toHaveLength(6);
    expect(resumed.events.map((event) => event.id)).toEqual(full.events.slice(3).map((event) => event.id));
  });

  it("answers 404 problem+json for someone else's operation", async () => {
    const carla = await service.user("carla");
    await service.project(ana, "hidden");
    const operations = await service.get<{ items: { id: string }[] }>("/v1/projects/hidden/operations", ana);

    const stream = await readEventStream(
      `${service.url}/v1/operations/${operations.body.items[0]?.id}/events`,
      carla,
    );

    expect(stream.status).toBe(404);
    expect(stream.contentType).toMatch(/^application\/problem\+json/);
  });
});

describe("jobs", () => {
  it("coalesce quick updates of one stack into at most two runs that end at the last request", async () => {
    await service.project(ana, "busy");
    service.runner.delayMs = 400;
    const before = service.runner.ups("busy.testzone").length;

    const accepted: Operation[] = [];
    for (let i = 1; i <= 6; i++) {
      accepted.push(
        (await service.put<Operation>("/v1/projects/busy/apps/web", ana, { image: `nginx:1.2${i}` })).body,
      );
    }
    const waiting = await waitingJobs(service, "busy.testzone");
    const done = await Promise.all(accepted.map((operation) => service.settle(ana, operation.id)));

    const runs = service.runner.ups("busy.testzone").slice(before);
    expect(waiting).toBeLessThanOrEqual(1);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(runs.at(-1)?.spec?.apps[0]?.image).toBe("nginx:1.26");
    expect(done.map((operation) => operation["status"])).toEqual(Array(6).fill("succeeded"));
    expect((await service.get("/v1/projects/busy/apps/web", ana)).body["image"]).toBe("nginx:1.26");
  });

  it("start a stack's waiting job as soon as its running job ends, not after the wait it set itself", async () => {
    const runner = new FakeRunner();
    runner.delayMs = 500;
    const patient = await TestService.start({
      runner,
      jobs: { busyDelaySeconds: 20 },
      zones: [testZone("testzone", roomy)],
    });
    try {
      const token = await patient.user("gil");
      await patient.project(token, "queue");
      const first = await patient.put<Operation>("/v1/projects/queue/apps/web", token, {
        image: "nginx:1.1",
      });
      while (
        (await patient.get<Operation>(`/v1/operations/${first.body.id}`, token)).body.status === "queued"
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const second = await patient.put<Operation>("/v1/projects/queue/apps/web", token, {
        image: "nginx:1.2",
      });

      const done = await patient.settle(token, second.body.id, 8_000);

      expect(done["status"]).toBe("succeeded");
      expect(runner.ups("queue.testzone").at(-1)?.spec?.apps[0]?.image).toBe("nginx:1.2");
    } finally {
      await patient.close();
    }
  });

  it("run stacks of different projects side by side, up to the worker limit", async () => {
    for (const name of ["par-a", "par-b", "par-c", "par-d"]) await service.project(ana, name);
    service.runner.delayMs = 500;
    service.runner.maxConcurrent = 0;

    const accepted = await Promise.all(
      ["par-a", "par-b", "par-c", "par-d"].map((name) =>
        service.put<Operation>(`/v1/projects/${name}/apps/web`, ana, { image: "nginx:1" }),
      ),
    );
    const done = await Promise.all(accepted.map((response) => service.settle(ana, response.body.id)));

    expect(done.map((operation) => operation["status"])).toEqual(Array(4).fill("succeeded"));
    expect(service.runner.maxConcurrent).toBe(2);
  });

  it("retry a run that died, recovering the stack first", async () => {
    await service.project(ana, "flaky");
    let attempts = 0;
    service.runner.onRun = (run) => {
      if (run.stack === "flaky.testzone" && ++attempts === 1)
        throw new Error("the engine process was killed");
    };

    const accepted = await service.put<Operation>("/v1/projects/flaky/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, accepted.body.id);
    const operation = await service.get<Operation>(`/v1/operations/${accepted.body.id}`, ana);

    const kinds = service.runner.runs.filter((run) => run.stack === "flaky.testzone").map((run) => run.kind);
    expect(operation.body.status).toBe("succeeded");
    expect(kinds.slice(-3)).toEqual(["up", "recover", "up"]);
    const phases = operation.body.events
      .filter((event) => event.type === "run")
      .map((event) => event.data["phase"]);
    expect(phases).toEqual(["started", "interrupted", "started", "recovering", "succeeded"]);
    expect(operation.body.events.find((event) => event.data["phase"] === "interrupted")?.data).toMatchObject({
      message: expect.stringMatching(
        /^updating the project's stack, attempt 1, failed: the run stopped before it finished \(reference /,
      ),
      retry: true,
    });
  });

  it("never run one stack twice at once, even with two service processes on one database", async () => {
    const runner = new FakeRunner();
    runner.delayMs = 300;
    const first = await TestService.start({ runner, zones: [testZone("testzone", roomy)] });
    const token = await first.user("dora");
    await first.project(token, "shared");
    const second = new StackJobs({
      connectionString: first.databaseUrl,
      store: first.store,
      runner,
      zones: staticZones([testZone("testzone", roomy)]),
      bus: first.bus,
      workers: 2,
      pollingIntervalSeconds: 0.5,
      busyDelaySeconds: 1,
      reconcile: false,
    });
    await second.start();
    try {
      const accepted: Operation[] = [];
      for (let i = 0; i < 8; i++) {
        accepted.push(
          (await first.put<Operation>("/v1/projects/shared/apps/web", token, { image: `nginx:1.${i}` })).body,
        );
        second.wake();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.all(accepted.map((operation) => first.settle(token, operation.id)));

      expect(runner.overlapped.size).toBe(0);
      expect(runner.ups("shared.testzone").at(-1)?.spec?.apps[0]?.image).toBe("nginx:1.7");
    } finally {
      await second.stop();
      await first.close();
    }
  });
});

describe("crash recovery", () => {
  it("retries a job whose worker died mid-run, recovering the stack before the next up", async () => {
    // A service whose only "worker" fetches the job and dies: the job stays active, its lock free.
    const dead = await TestService.start({ workers: false, zones: [testZone("testzone", roomy)] });
    const token = await dead.user("eli");
    const accepted = await dead.put<Operation>("/v1/projects/crashed", token, { zone: "testzone" });
    const [job] = await dead.jobs.boss.fetch<{ projectId: string; stack: string }>("stack-up");
    if (!job) throw new Error("the queue held no job for the new project");
    const run = await dead.store.insertRun({
      jobId: job.id,
      projectId: job.data.projectId,
      stack: job.data.stack,
      kind: "update",
      revision: 1,
      attempt: 1,
      worker: "gone:1",
    });
    await dead.store.claimOperations(job.data.projectId, 1, run.id);

    const runner = new FakeRunner();
    const restarted = new StackJobs({
      connectionString: dead.databaseUrl,
      store: dead.store,
      runner,
      zones: staticZones([testZone("testzone", roomy)]),
      bus: dead.bus,
      retryDelaySeconds: 0,
      pollingIntervalSeconds: 0.5,
      sweepIntervalSeconds: 1,
      deadWorkerGraceSeconds: 1,
      reconcile: false,
    });
    await restarted.start();
    try {
      const operation = await dead.settle(token, accepted.body.id);

      expect(operation["status"]).toBe("succeeded");
      expect(runner.runs.map((recorded) => recorded.kind)).toEqual(["recover", "up"]);
      const runs = await dead.store.runsOfJob(job.id);
      expect(runs.map((recorded) => [recorded.attempt, recorded.status])).toEqual([
        [1, "interrupted"],
        [2, "succeeded"],
      ]);
    } finally {
      await restarted.stop();
      await dead.close();
    }
  });

  it("leaves alone a job whose worker has just finished its run but not yet told the queue", async () => {
    const idle = await TestService.start({ workers: false, zones: [testZone("testzone", roomy)] });
    const token = await idle.user("hana");
    await idle.put<Operation>("/v1/projects/finishing", token, { zone: "testzone" });
    const [job] = await idle.jobs.boss.fetch<{ projectId: string; stack: string }>("stack-up");
    if (!job) throw new Error("the queue held no job for the new project");
    const run = await idle.store.insertRun({
      jobId: job.id,
      projectId: job.data.projectId,
      stack: job.data.stack,
      kind: "update",
      revision: 1,
      attempt: 1,
      worker: "busy:1",
    });
    await idle.store.finishRun(run.id, "succeeded", null);
    const sweeper = new StackJobs({
      connectionString: idle.databaseUrl,
      store: idle.store,
      runner: new FakeRunner(),
      zones: staticZones([testZone("testzone", roomy)]),
      bus: idle.bus,
      sweepIntervalSeconds: 1,
      deadWorkerGraceSeconds: 0,
      reconcile: false,
    });
    await sweeper.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500));

      const state = await idle.jobs.boss.getJobById("stack-up", job.id);

      expect(state?.state).toBe("active");
    } finally {
      await sweeper.stop();
      await idle.close();
    }
  });

  it("fails the operations with the last error once the retries are used up", async () => {
    const runner = new FakeRunner();
    runner.onRun = () => {
      throw new Error("out of memory");
    };
    const failing = await TestService.start({
      runner,
      jobs: { retryLimit: 1 },
      zones: [testZone("testzone", roomy)],
    });
    try {
      const token = await failing.user("fio");
      const accepted = await failing.put<Operation>("/v1/projects/doomed", token, { zone: "testzone" });

      const operation = await failing.settle(token, accepted.body.id);

      expect(operation["status"]).toBe("failed");
      expect(operation["message"]).toMatch(
        /^updating the project's stack failed after 2 attempts: the run stopped before it finished \(reference /,
      );
      expect(runner.ups()).toHaveLength(2);
    } finally {
      await failing.close();
    }
  });
});

/** Jobs waiting (created or retrying) for a stack in the queue. */
async function waitingJobs(target: TestService, stack: string): Promise<number> {
  const { rows } = await target.store.executor.executeSql(
    "select count(*)::int as count from pgboss.job where name = 'stack-up' and singleton_key = $1 and state in ('created', 'retry')",
    [stack],
  );
  return (rows[0] as { count: number }).count;
}
