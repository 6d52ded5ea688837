import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNCHANGED_MESSAGE } from "../../automation-api/domain/unchanged.js";
import { TestService } from "./harness.js";

/** A request for what a project already runs is answered without the engine. */

let service: TestService;
let ana: string;

beforeAll(async () => {
  service = await TestService.start();
  ana = await service.user("ana");
  await service.project(ana, "shop");
});
afterAll(async () => {
  await service.close();
});

interface Operation {
  readonly id: string;
  readonly status: string;
  readonly message: string | null;
}

async function putApp(project: string, body: object): Promise<Operation> {
  const response = await service.put<Operation>(`/v1/projects/${project}/apps/web`, ana, body);
  expect(response.status).toBe(202);
  return response.body;
}

describe("a request that changes nothing", () => {
  it("is an operation that succeeded as it was made, with no run of the stack", async () => {
    await service.settle(ana, (await putApp("shop", { image: "nginx:1.27" })).id);
    const ups = service.runner.ups("shop.testzone").length;

    const again = await putApp("shop", { image: "nginx:1.27", replicas: 1 });
    const events = await service.get<{ items: unknown[] }>(`/v1/operations/${again.id}/events`, ana);

    expect(again.status).toBe("succeeded");
    expect(again.message).toBe(UNCHANGED_MESSAGE);
    expect(service.runner.ups("shop.testzone")).toHaveLength(ups);
    expect(events.status).toBe(200);
  });

  it("reads the same with its fields in another order", async () => {
    await service.settle(ana, (await putApp("shop", { image: "nginx:1.27", port: 8080, replicas: 2 })).id);
    const ups = service.runner.ups("shop.testzone").length;

    const again = await putApp("shop", { replicas: 2, port: 8080, image: "nginx:1.27" });

    expect(again.status).toBe("succeeded");
    expect(service.runner.ups("shop.testzone")).toHaveLength(ups);
  });

  it("runs the stack again when its last run failed", async () => {
    await service.project(ana, "failing");
    service.runner.refuse.set("failing", "refused once");
    const failed = await service.settle(ana, (await putApp("failing", { image: "nginx:1.27" })).id);
    service.runner.refuse.delete("failing");

    const retry = await putApp("failing", { image: "nginx:1.27" });
    const settled = await service.settle(ana, retry.id);

    expect(failed.status).toBe("failed");
    expect(retry.status).toBe("queued");
    expect(settled.status).toBe("succeeded");
  });

  it("runs the stack when an earlier change still waits", async () => {
    service.runner.delayMs = 500;
    try {
      const first = await putApp("shop", { image: "nginx:1.28" });
      const same = await putApp("shop", { image: "nginx:1.28" });

      expect(same.status).toBe("queued");
      await service.settle(ana, first.id);
      await service.settle(ana, same.id);
    } finally {
      service.runner.delayMs = 0;
    }
  });

  it("runs the stack when the last look for drift failed", async () => {
    await service.project(ana, "drifty");
    await service.settle(ana, (await putApp("drifty", { image: "nginx:1.27" })).id);
    const project = await service.store.db
      .selectFrom("projects")
      .select("id")
      .where("name", "=", "drifty")
      .executeTakeFirstOrThrow();
    await service.store.db
      .insertInto("reconciles")
      .values({
        projectId: project.id,
        nextAt: new Date(Date.now() + 3600_000),
        lastAt: new Date(),
        lastResult: "failed",
        lastMessage: "the cluster did not answer",
        failures: 1,
      })
      .execute();

    const again = await putApp("drifty", { image: "nginx:1.27" });

    expect(again.status).toBe("queued");
    await service.settle(ana, again.id);
  });
});
