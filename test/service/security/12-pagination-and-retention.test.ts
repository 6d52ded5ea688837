/**
 * Finding 12, no pagination or retention: every list the API returns comes in pages (an opaque
 * cursor, a `limit` with a default and a maximum, a `next` link), and finished operations are
 * pruned with their runs and events once the retention period is over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../../automation-api/config.js";
import { TestService, testZone, type ApiResponse } from "../harness.js";

type Page = { items: Record<string, unknown>[]; next: string | null };
type Operation = { id: string; status: string; createdAt: string };

const roomy = { capacity: { cpu: "64", memory: "128Gi", disk: "2Ti", databaseGB: 1000, objectGB: 1000 } };
let service: TestService;
let ana: string;
const operationIds: string[] = [];

beforeAll(async () => {
  service = await TestService.start({ zones: [testZone("testzone", roomy), testZone("otherzone", roomy)] });
  ana = await service.user("ana");
  await service.user("bruno");
  await service.user("carla");
  for (const project of ["pears", "apples", "figs"]) await service.project(ana, project);
  for (const app of ["web", "api", "worker", "cron", "admin"]) {
    const accepted = await service.put<Operation>(`/v1/projects/apples/apps/${app}`, ana, {
      image: "nginx:1",
    });
    operationIds.push(accepted.body.id);
    await service.settle(ana, accepted.body.id);
  }
  for (const name of ["one", "two", "three"]) {
    await service.post("/v1/projects/apples/tokens", ana, { name, scope: "deploy" });
    await service.post("/v1/users/ana/tokens", ana, { name });
  }
});
afterAll(async () => {
  await service.close();
});

/** Every page of a list, following `next` from the first page of `limit` items. */
async function allPages(path: string, token: string, limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let next: string | null = `${path}?limit=${limit}`;
  while (next !== null) {
    const response: ApiResponse<Page> = await service.get<Page>(next, token);
    expect(response.status, response.text).toBe(200);
    pages.push(response.body);
    next = response.body.next;
    if (pages.length > 100) throw new Error(`${path}: more than 100 pages`);
  }
  return pages;
}

const identity = (item: Record<string, unknown>) => String(item["id"] ?? item["name"]);

describe("lists in pages", () => {
  const lists: [string, () => string][] = [
    ["/v1/users", () => service.adminToken],
    ["/v1/users/ana/tokens", () => ana],
    ["/v1/zones", () => ana],
    ["/v1/projects", () => ana],
    ["/v1/projects/apples/apps", () => ana],
    ["/v1/projects/apples/tokens", () => ana],
    ["/v1/projects/apples/operations", () => ana],
  ];

  it.each(lists)(
    "%s: one item a page, every item once, in the order of the whole list",
    async (path, token) => {
      const whole = await service.get<Page>(`${path}?limit=200`, token());

      const pages = await allPages(path, token(), 1);

      expect(whole.body.items.length).toBeGreaterThan(1);
      expect(whole.body.next).toBeNull();
      expect(pages.every((page) => page.items.length === 1)).toBe(true);
      expect(pages.flatMap((page) => page.items.map(identity))).toEqual(whole.body.items.map(identity));
    },
  );

  it("gives a project's operations newest first, two a page, with no duplicates or gaps", async () => {
    const pages = await allPages("/v1/projects/apples/operations", ana, 2);
    const seen = pages.flatMap((page) => page.items as unknown as Operation[]);

    expect(new Set(seen.map((operation) => operation.id)).size).toBe(seen.length);
    expect(seen.map((operation) => operation.id)).toEqual(expect.arrayContaining(operationIds));
    const times = seen.map((operation) => Date.parse(operation.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("gives at most the default limit of 50 items when none is asked", async () => {
    const response = await service.get<Page>("/v1/projects", ana);

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(3);
    expect(response.body.next).toBeNull();
  });

  it("keeps a later page free of what an earlier one gave when an item is added in between", async () => {
    const first = await service.get<Page>("/v1/projects?limit=2", ana);
    await service.project(ana, "aardvarks");

    const second = await service.get<Page>(first.body.next ?? "", ana);

    const earlier = first.body.items.map(identity);
    expect(second.body.items.map(identity).some((name) => earlier.includes(name))).toBe(false);
    await service.delete("/v1/projects/aardvarks", ana);
  });

  it("gives an operation's events in pages, oldest first, every event once", async () => {
    type WithEvents = { events: { id: string }[]; eventsNext: string | null };
    const operation = operationIds[0] ?? "";
    const whole = await service.get<WithEvents>(`/v1/operations/${operation}?limit=1000`, ana);
    const seen: string[] = [];
    let next: string | null = `/v1/operations/${operation}?limit=2`;
    while (next !== null) {
      const response: ApiResponse<WithEvents> = await service.get<WithEvents>(next, ana);
      expect(response.status, response.text).toBe(200);
      expect(response.body.events.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.events.map((event) => event.id));
      next = response.body.eventsNext;
      if (seen.length > 1000) throw new Error("more events than the operation has");
    }

    expect(whole.body.events.length).toBeGreaterThan(2);
    expect(whole.body.eventsNext).toBeNull();
    expect(seen).toEqual(whole.body.events.map((event) => event.id));
  });

  it("answers 400 problem+json for an operation's events with a cursor of another list", async () => {
    const projects = await service.get<Page>("/v1/projects?limit=1", ana);
    const cursor = new URL(projects.body.next ?? "", service.url).searchParams.get("cursor") ?? "";

    const response = await service.get(`/v1/operations/${operationIds[0] ?? ""}?cursor=${cursor}`, ana);

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });

  it.each([
    ["a cursor it never gave out", "cursor=bm9wZQ", "cursor"],
    ["another list's cursor", "cursor=FROM_USERS", "cursor"],
    ["a limit of 0", "limit=0", "limit"],
    ["a limit above the maximum", "limit=201", "limit"],
    ["a limit that is no number", "limit=many", "limit"],
  ])("answers 400 problem+json naming the parameter for %s", async (_what, query, parameter) => {
    let resolved = query;
    if (query.includes("FROM_USERS")) {
      const users = await service.get<Page>("/v1/users?limit=1", service.adminToken);
      const cursor = new URL(users.body.next ?? "", service.url).searchParams.get("cursor") ?? "";
      resolved = `cursor=${cursor}`;
    }

    const response = await service.get<{ errors: { path: string; message: string }[] }>(
      `/v1/projects?${resolved}`,
      ana,
    );

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(response.body.errors.map((error) => error.path)).toContain(parameter);
  });
});

describe("retention of finished operations", () => {
  /** Makes an operation and its runs look finished `days` ago. */
  async function age(operationId: string, days: number): Promise<void> {
    await service.store.executor.executeSql(
      `update operations set created_at = now() - make_interval(days => $2::int),
              finished_at = now() - make_interval(days => $2::int) where id = $1`,
      [operationId, days],
    );
    await service.store.executor.executeSql(
      `update runs set started_at = now() - make_interval(days => $2::int),
              finished_at = now() - make_interval(days => $2::int)
        where id in (select run_id from operation_runs where operation_id = $1)`,
      [operationId, days],
    );
  }

  async function eventsOf(operationId: string): Promise<number> {
    const { rows } = await service.store.executor.executeSql(
      `select count(*)::int as count from events e join operation_runs o on o.run_id = e.run_id
        where o.operation_id = $1`,
      [operationId],
    );
    return (rows[0] as { count: number }).count;
  }

  async function runsOf(operationId: string): Promise<string[]> {
    const { rows } = await service.store.executor.executeSql(
      "select run_id from operation_runs where operation_id = $1",
      [operationId],
    );
    return rows.map((row) => (row as { run_id: string }).run_id);
  }

  async function eventsOfRuns(runIds: readonly string[]): Promise<number> {
    const { rows } = await service.store.executor.executeSql(
      "select count(*)::int as count from events where run_id = any($1::uuid[])",
      [runIds],
    );
    return (rows[0] as { count: number }).count;
  }

  it("defaults to 30 days and reads PLUSKUBE_RETENTION_DAYS", () => {
    expect(readConfig({}).retentionDays).toBe(30);
    expect(readConfig({ PLUSKUBE_RETENTION_DAYS: "7" }).retentionDays).toBe(7);
    expect(() => readConfig({ PLUSKUBE_RETENTION_DAYS: "0" })).toThrow(/PLUSKUBE_RETENTION_DAYS/);
  });

  it("prunes operations finished before the retention period with their runs and events", async () => {
    await service.project(ana, "old");
    const accepted = await service.put<Operation>("/v1/projects/old/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, accepted.body.id);
    const runs = await runsOf(accepted.body.id);
    expect(await eventsOf(accepted.body.id)).toBeGreaterThan(0);
    await age(accepted.body.id, 31);

    await service.jobs.prune();

    expect((await service.get(`/v1/operations/${accepted.body.id}`, ana)).status).toBe(404);
    expect(await eventsOfRuns(runs)).toBe(0);
  });

  it("keeps operations finished within the retention period, and unfinished ones", async () => {
    await service.project(ana, "recent");
    const accepted = await service.put<Operation>("/v1/projects/recent/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, accepted.body.id);
    await age(accepted.body.id, 29);
    const waiting = await service.store.executor.executeSql(
      `insert into operations (user_id, project_id, project, zone, kind, request, revision, status, created_at)
       select user_id, project_id, project, zone, kind, request, revision, 'queued', now() - interval '90 days'
         from operations where id = $1 returning id`,
      [accepted.body.id],
    );
    const waitingId = (waiting.rows[0] as { id: string }).id;

    await service.jobs.prune();

    expect((await service.get(`/v1/operations/${accepted.body.id}`, ana)).status).toBe(200);
    expect(await eventsOf(accepted.body.id)).toBeGreaterThan(0);
    expect((await service.get(`/v1/operations/${waitingId}`, ana)).status).toBe(200);
    await service.store.executor.executeSql("delete from operations where id = $1", [waitingId]);
  });

  it("prunes on its own, from the job sweeper", async () => {
    await service.project(ana, "swept");
    const accepted = await service.put<Operation>("/v1/projects/swept/apps/web", ana, { image: "nginx:1" });
    await service.settle(ana, accepted.body.id);
    const pruning = await TestService.start({
      databaseUrl: service.databaseUrl,
      zones: [testZone("testzone", roomy)],
      jobs: { retentionDays: 1, pruneIntervalSeconds: 1 },
    });
    try {
      await age(accepted.body.id, 2);

      const deadline = Date.now() + 15_000;
      let status = 200;
      while (status !== 404 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = (await service.get(`/v1/operations/${accepted.body.id}`, ana)).status;
      }

      expect(status).toBe(404);
    } finally {
      await pruning.close();
    }
  });
});
