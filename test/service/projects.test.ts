import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "./harness.js";

let service: TestService;
let ana: string;
let bruno: string;

beforeAll(async () => {
  service = await TestService.start();
  ana = await service.user("ana");
  bruno = await service.user("bruno");
});
afterAll(async () => {
  await service.close();
});

describe("PUT /v1/projects/{project}", () => {
  it("creates a project in a zone and answers 202 with a queued operation and its links", async () => {
    const response = await service.put<Record<string, unknown>>("/v1/projects/shop", ana, {
      zone: "testzone",
    });

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      status: expect.stringMatching(/^(queued|running|succeeded)$/),
      kind: "update",
      project: "shop",
      zone: "testzone",
      request: "PUT projects/shop",
      links: {
        self: `/v1/operations/${String(response.body["id"])}`,
        events: `/v1/operations/${String(response.body["id"])}/events`,
        project: "/v1/projects/shop",
      },
    });
    expect(response.headers.get("location")).toBe(`/v1/operations/${String(response.body["id"])}`);
  });

  it("deploys the new project's namespace through the runner and reports success", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/blog", ana, { zone: "testzone" });

    const operation = await service.settle(ana, response.body.id);

    expect(operation["status"]).toBe("succeeded");
    expect(service.runner.ups("blog.testzone")).toHaveLength(1);
    expect(service.runner.ups("blog.testzone")[0]?.policy).toMatchObject({
      namespace: "blog",
      baseDomain: "testzone.pluskube.test",
    });
  });

  it("is idempotent: the same PUT again is accepted and leaves the same project", async () => {
    await service.project(ana, "twice");
    const before = await service.get("/v1/projects/twice", ana);

    const again = await service.put<{ id: string }>("/v1/projects/twice", ana, { zone: "testzone" });
    await service.settle(ana, again.body.id);
    const after = await service.get("/v1/projects/twice", ana);

    expect(again.status).toBe(202);
    expect({ ...after.body, revision: 0, appliedRevision: 0 }).toEqual({
      ...before.body,
      revision: 0,
      appliedRevision: 0,
    });
  });

  it("changes project settings with a later PUT", async () => {
    await service.project(ana, "quiet");

    const response = await service.put<{ id: string }>("/v1/projects/quiet", ana, {
      zone: "testzone",
      internetEgress: false,
    });
    await service.settle(ana, response.body.id);

    expect((await service.get("/v1/projects/quiet", ana)).body["internetEgress"]).toBe(false);
  });

  it("refuses to move a project to another zone with 409", async () => {
    await service.project(ana, "settled");

    const response = await service.put("/v1/projects/settled", ana, { zone: "otherzone" });

    expect(response.status).toBe(409);
    expect(response.body["detail"]).toMatch(/cannot move/);
  });

  it("refuses a name another user holds in the zone with 409, without naming the holder", async () => {
    await service.project(ana, "taken");

    const response = await service.put("/v1/projects/taken", bruno, { zone: "testzone" });

    expect(response.status).toBe(409);
    expect(response.text).not.toContain("ana");
    expect(response.body["type"]).toBe("urn:pluskube:problem:name-taken");
  });

  it("lets another user hold the same name in another zone", async () => {
    await service.project(ana, "twin");

    const response = await service.put("/v1/projects/twin", bruno, { zone: "otherzone" });

    expect(response.status).toBe(202);
  });

  it.each([
    ["no body", undefined, ""],
    ["no zone", {}, "zone"],
    ["a zone that is not a DNS label", { zone: "Test_Zone" }, "zone"],
    ["an unknown zone", { zone: "atlantis" }, "zone"],
    ["internetEgress as text", { zone: "testzone", internetEgress: "no" }, "internetEgress"],
    ["an unknown field", { zone: "testzone", owner: "ana" }, "owner"],
  ])("refuses %s with 400 naming '%s'", async (_case, body, field) => {
    const response = await service.request<{ errors: { path: string; message: string }[] }>(
      "PUT",
      "/v1/projects/badbody",
      {
        token: ana,
        ...(body === undefined ? {} : { body }),
      },
    );

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((error) => error.path)).toContain(field);
  });

  it("names the zones on offer when the zone is unknown", async () => {
    const response = await service.put<{ errors: { message: string }[] }>("/v1/projects/nowhere", ana, {
      zone: "atlantis",
    });

    expect(response.body.errors[0]?.message).toBe("unknown zone 'atlantis'; zones: testzone, otherzone");
  });

  it.each([["Upper"], ["under_score"], ["-dash"], ["x".repeat(41)]])(
    "refuses the project name %s with 400 naming 'project'",
    async (name) => {
      const response = await service.put<{ errors: { path: string }[] }>(`/v1/projects/${name}`, ana, {
        zone: "testzone",
      });

      expect(response.status).toBe(400);
      expect(response.body.errors[0]?.path).toBe("project");
    },
  );

  it.each([["kube-system"], ["default"], ["pluskube-system"], ["ingress-nginx"], ["knative-serving"]])(
    "refuses the reserved namespace %s as a project name with 400",
    async (name) => {
      const response = await service.put<{ errors: { path: string; message: string }[] }>(
        `/v1/projects/${name}`,
        ana,
        {
          zone: "testzone",
        },
      );

      expect(response.status).toBe(400);
      expect(response.body.errors[0]).toEqual({
        path: "project",
        message: `'${name}' is reserved for the cluster or the platform; choose another name`,
      });
    },
  );

  it("refuses a body that is not JSON with 400", async () => {
    const response = await service.request("PUT", "/v1/projects/garbled", {
      token: ana,
      rawBody: "{zone:",
      headers: { "content-type": "application/json" },
    });

    expect(response.status).toBe(400);
    expect(response.body["detail"]).toBe("the request body is not valid JSON");
  });
});

describe("GET /v1/projects", () => {
  it("lists only the caller's projects", async () => {
    await service.project(bruno, "brunos");

    const response = await service.get<{ items: { name: string }[] }>("/v1/projects", ana);

    expect(response.status).toBe(200);
    expect(response.body.items.map((project) => project.name)).not.toContain("brunos");
    expect(response.body.items.map((project) => project.name)).toContain("shop");
  });

  it("shows a project with its status, revisions, usage, outputs and links", async () => {
    await service.project(ana, "shown");

    const response = await service.get("/v1/projects/shown", ana);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      name: "shown",
      zone: "testzone",
      status: "active",
      revision: 1,
      appliedRevision: 1,
      internetEgress: true,
      counts: { apps: 0, databases: 0, buckets: 0, volumes: 0 },
      usage: { chunks: 0, volumeGB: 0, databaseGB: 0, objectGB: 0 },
      outputs: { namespace: "shown", appUrls: {} },
      links: { self: "/v1/projects/shown", apps: "/v1/projects/shown/apps" },
    });
  });

  it("answers the same 404 for another user's project and for one that does not exist", async () => {
    await service.project(bruno, "private");

    const other = await service.get("/v1/projects/private", ana);
    const missing = await service.get("/v1/projects/nothere", ana);

    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body["detail"]).toBe("project 'private' does not exist");
    expect(missing.body["detail"]).toBe("project 'nothere' does not exist");
  });

  it("lists a project's operations, newest first", async () => {
    await service.project(ana, "history");
    const second = await service.put<{ id: string }>("/v1/projects/history", ana, { zone: "testzone" });

    const response = await service.get<{ items: { id: string }[] }>("/v1/projects/history/operations", ana);

    expect(response.body.items).toHaveLength(2);
    expect(response.body.items[0]?.id).toBe(second.body.id);
  });
});

describe("DELETE /v1/projects/{project}", () => {
  it("destroys the stack, then forgets the project and frees its name", async () => {
    await service.project(ana, "doomed");

    const response = await service.delete<{ id: string; kind: string }>("/v1/projects/doomed", ana);
    const operation = await service.settle(ana, response.body.id);

    expect(response.status).toBe(202);
    expect(response.body.kind).toBe("destroy");
    expect(operation["status"]).toBe("succeeded");
    expect(
      service.runner.runs.filter((run) => run.kind === "destroy" && run.stack === "doomed.testzone"),
    ).toHaveLength(1);
    expect((await service.get("/v1/projects/doomed", ana)).status).toBe(404);
    expect((await service.put("/v1/projects/doomed", bruno, { zone: "testzone" })).status).toBe(202);
  });

  it("refuses changes to a project being deleted with 409", async () => {
    await service.project(ana, "leaving");
    service.runner.delayMs = 300;
    try {
      await service.delete("/v1/projects/leaving", ana);

      const response = await service.put("/v1/projects/leaving/apps/web", ana, { image: "nginx:1.27" });

      expect(response.status).toBe(409);
      expect(response.body["type"]).toBe("urn:pluskube:problem:project-deleting");
    } finally {
      service.runner.delayMs = 0;
    }
  });

  it("fails changes still waiting when the project is deleted, as superseded", async () => {
    await service.project(ana, "abandoned");
    service.runner.delayMs = 400;
    try {
      const busy = await service.put<{ id: string }>("/v1/projects/abandoned/apps/one", ana, {
        image: "nginx:1",
      });
      while ((await service.get(`/v1/operations/${busy.body.id}`, ana)).body["status"] === "queued") {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const waiting = await service.put<{ id: string }>("/v1/projects/abandoned/apps/two", ana, {
        image: "nginx:1",
      });
      const deleted = await service.delete<{ id: string }>("/v1/projects/abandoned", ana);

      const [first, second, destroy] = await Promise.all(
        [busy, waiting, deleted].map((response) => service.settle(ana, response.body.id)),
      );

      expect(first?.["status"]).toBe("succeeded");
      expect(second).toMatchObject({ status: "failed", message: "superseded: the project was deleted" });
      expect(destroy?.["status"]).toBe("succeeded");
    } finally {
      service.runner.delayMs = 0;
    }
  });

  it("treats deleting a project that does not exist as done (204)", async () => {
    expect((await service.delete("/v1/projects/neverwas", ana)).status).toBe(204);
  });

  it("answers 204 for another user's project too, and leaves it alone", async () => {
    await service.project(bruno, "keepout");

    const response = await service.delete("/v1/projects/keepout", ana);

    expect(response.status).toBe(204);
    expect((await service.get("/v1/projects/keepout", bruno)).status).toBe(200);
  });
});

describe("a stored spec that no longer reads", () => {
  it("answers 500 naming the project, not a schema library's error", async () => {
    await service.project(bruno, "broken");
    await service.store.executor.executeSql(
      `update projects set spec = jsonb_set(spec, '{apps}', '[{"name": "web"}]') where name = $1`,
      ["broken"],
    );

    const response = await service.get<Record<string, unknown>>("/v1/projects/broken", bruno);

    expect(response.status).toBe(500);
    expect(response.body["type"]).toBe("urn:pluskube:problem:stored-spec-invalid");
    expect(response.body["detail"]).toContain("the stored spec of project 'broken' in zone 'testzone'");
    expect(response.body["detail"]).toContain("apps[0].image");
  });
});
