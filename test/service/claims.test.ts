import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService, testZone } from "./harness.js";

/** Apps, databases, buckets and volumes: the claims of a project, as desired state. */

let service: TestService;
let ana: string;
let bruno: string;

beforeAll(async () => {
  // Room enough that quota never gets in the way here (quota.test.ts is about that).
  const roomy = { capacity: { cpu: "64", memory: "128Gi", disk: "2Ti", databaseGB: 1000, objectGB: 1000 } };
  service = await TestService.start({ zones: [testZone("testzone", roomy)] });
  ana = await service.user("ana");
  bruno = await service.user("bruno");
  await service.project(ana, "shop");
  await service.project(bruno, "other");
});
afterAll(async () => {
  await service.close();
});

type Errors = { errors: { path: string; message: string }[] };

const valid = {
  apps: { image: "nginx:1.27" },
  databases: { sizeGB: 1 },
  buckets: { sizeGB: 2 },
  volumes: { size: "1Gi" },
} as const;

describe.each(["apps", "databases", "buckets", "volumes"] as const)("%s", (collection) => {
  const base = `/v1/projects/shop/${collection}`;

  it("accepts a PUT of desired state with 202 and stores it with defaults filled in", async () => {
    const response = await service.put<{ id: string }>(`${base}/first`, ana, valid[collection]);
    await service.settle(ana, response.body.id);

    const item = await service.get(`${base}/first`, ana);

    expect(response.status).toBe(202);
    expect(item.status).toBe(200);
    expect(item.body).toMatchObject({ name: "first", ...valid[collection], project: "shop", deployed: true });
  });

  it("is idempotent: the same PUT twice leaves one item with the same state", async () => {
    await service.put(`${base}/same`, ana, valid[collection]);
    const again = await service.put<{ id: string }>(`${base}/same`, ana, valid[collection]);
    await service.settle(ana, again.body.id);

    const list = await service.get<{ items: { name: string }[] }>(base, ana);

    expect(again.status).toBe(202);
    expect(list.body.items.filter((item) => item.name === "same")).toHaveLength(1);
  });

  it("accepts a body naming the item as in the URL, and refuses another name with 400", async () => {
    const same = await service.put(`${base}/named`, ana, { ...valid[collection], name: "named" });
    const other = await service.put<Errors>(`${base}/named`, ana, { ...valid[collection], name: "renamed" });

    expect(same.status).toBe(202);
    expect(other.status).toBe(400);
    expect(other.body.errors[0]?.path).toBe("name");
  });

  it("lists the project's items", async () => {
    const response = await service.get<{ items: { name: string }[] }>(base, ana);

    expect(response.status).toBe(200);
    expect(response.body.items.map((item) => item.name)).toContain("first");
  });

  it("answers 404 for an item that does not exist, and for a PATCH of one", async () => {
    expect((await service.get(`${base}/ghost`, ana)).status).toBe(404);
    expect((await service.patch(`${base}/ghost`, ana, {})).status).toBe(404);
  });

  it("deletes an item with 202, and an absent one with 204", async () => {
    await service.put(`${base}/gone`, ana, valid[collection]);

    const deleted = await service.delete<{ id: string }>(`${base}/gone`, ana);
    await service.settle(ana, deleted.body.id);
    const again = await service.delete(`${base}/gone`, ana);

    expect(deleted.status).toBe(202);
    expect(again.status).toBe(204);
    expect((await service.get(`${base}/gone`, ana)).status).toBe(404);
  });

  it("answers 404 for another user's project, on every method", async () => {
    const path = `/v1/projects/other/${collection}/x`;

    expect((await service.get(`/v1/projects/other/${collection}`, ana)).status).toBe(404);
    expect((await service.get(path, ana)).status).toBe(404);
    expect((await service.put(path, ana, valid[collection])).status).toBe(404);
    expect((await service.patch(path, ana, {})).status).toBe(404);
    expect((await service.delete(path, ana)).status).toBe(404);
  });
});

describe("bad bodies", () => {
  const cases: [string, string, unknown, string][] = [
    ["apps", "no image", {}, "image"],
    ["apps", "an image with spaces", { image: "nginx latest" }, "image"],
    ["apps", "an image with an upper-case registry", { image: "Registry.example.org/app:1" }, "image"],
    ["apps", "replicas as text", { image: "nginx:1", replicas: "2" }, "replicas"],
    ["apps", "negative replicas", { image: "nginx:1", replicas: -1 }, "replicas"],
    ["apps", "too many replicas", { image: "nginx:1", replicas: 51 }, "replicas"],
    ["apps", "fractional chunks", { image: "nginx:1", chunks: 1.5 }, "chunks"],
    ["apps", "a cpu that is not a quantity", { image: "nginx:1", cpu: "fast" }, "cpu"],
    ["apps", "memory in millibytes", { image: "nginx:1", memory: "512m" }, "memory"],
    ["apps", "port 0", { image: "nginx:1", port: 0 }, "port"],
    ["apps", "port 70000", { image: "nginx:1", port: 70000 }, "port"],
    ["apps", "the root user", { image: "nginx:1", user: 0 }, "user"],
    ["apps", "a relative working directory", { image: "nginx:1", workingDir: "app" }, "workingDir"],
    ["apps", "an invalid environment variable name", { image: "nginx:1", env: { "1BAD": "x" } }, "env.1BAD"],
    ["apps", "an environment value that is not text", { image: "nginx:1", env: { PORT: 80 } }, "env.PORT"],
    [
      "apps",
      "a mount of a volume the project does not have",
      { image: "nginx:1", volumes: [{ volume: "nope", mountPath: "/data" }] },
      "volumes[0].volume",
    ],
    [
      "apps",
      "a relative mount path",
      { image: "nginx:1", volumes: [{ volume: "first", mountPath: "data" }] },
      "volumes[0].mountPath",
    ],
    [
      "apps",
      "an unverified custom domain",
      { image: "nginx:1", customDomains: ["shop.example.org"] },
      "customDomains[0]",
    ],
    [
      "apps",
      "a wildcard custom domain",
      { image: "nginx:1", customDomains: ["*.example.org"] },
      "customDomains[0]",
    ],
    ["apps", "a probe path without a slash", { image: "nginx:1", probe: { path: "healthz" } }, "probe.path"],
    ["apps", "an unknown field", { image: "nginx:1", privileged: true }, "privileged"],
    [
      "apps",
      "an unknown field in a mount",
      { image: "nginx:1", volumes: [{ volume: "first", mountPath: "/d", mode: "rw" }] },
      "volumes[0].mode",
    ],
    ["databases", "no size", {}, "sizeGB"],
    ["databases", "a zero size", { sizeGB: 0 }, "sizeGB"],
    ["databases", "a size beyond 1024", { sizeGB: 2000 }, "sizeGB"],
    ["databases", "a connection limit of 0", { sizeGB: 1, connectionLimit: 0 }, "connectionLimit"],
    ["databases", "an unknown field", { sizeGB: 1, superuser: true }, "superuser"],
    ["buckets", "no size", {}, "sizeGB"],
    ["buckets", "a negative size", { sizeGB: -1 }, "sizeGB"],
    ["buckets", "a size as text", { sizeGB: "5" }, "sizeGB"],
    ["buckets", "an unknown field", { sizeGB: 1, public: true }, "public"],
    ["volumes", "no size", {}, "size"],
    ["volumes", "a size that is not a quantity", { size: "big" }, "size"],
    ["volumes", "an unknown kind", { size: "1Gi", kind: "tmpfs" }, "kind"],
    ["volumes", "an unknown field", { size: "1Gi", storageClass: "fast" }, "storageClass"],
  ];

  const named = cases.map(([collection, what, body, field]) => [collection, what, field, body] as const);

  it.each(named)("%s: refuses %s with 400 naming '%s'", async (collection, _case, field, body) => {
    if (collection === "apps") await service.put("/v1/projects/shop/volumes/first", ana, { size: "1Gi" });

    const response = await service.put<Errors>(`/v1/projects/shop/${collection}/bad`, ana, body);

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((error) => error.path)).toContain(field);
    expect(response.body.errors.every((error) => error.message.length > 0)).toBe(true);
  });

  it.each(["apps", "databases", "buckets", "volumes"])(
    "%s: refuses an item name that is not a DNS label with 400 naming 'name'",
    async (collection) => {
      const response = await service.put<Errors>(
        `/v1/projects/shop/${collection}/Bad_Name`,
        ana,
        valid[collection as keyof typeof valid],
      );

      expect(response.status).toBe(400);
      expect(response.body.errors[0]?.path).toBe("name");
    },
  );

  it("refuses a body that is a JSON array", async () => {
    const response = await service.put<Errors>("/v1/projects/shop/apps/web", ana, [{ image: "nginx:1" }]);

    expect(response.status).toBe(400);
    expect(response.body.errors[0]?.path).toBe("");
  });

  it("refuses a body over the limit with 413 problem+json", async () => {
    const response = await service.put("/v1/projects/shop/apps/huge", ana, {
      image: "nginx:1",
      env: { BIG: "x".repeat(300 * 1024) },
    });

    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body["detail"]).toMatch(/larger than the limit of 262144 bytes/);
  });
});

describe("PATCH (JSON merge patch)", () => {
  it("changes only the fields given and keeps the rest", async () => {
    await service.put("/v1/projects/shop/apps/patched", ana, {
      image: "nginx:1.26",
      replicas: 2,
      env: { A: "1", B: "2" },
    });

    const response = await service.patch<{ id: string }>("/v1/projects/shop/apps/patched", ana, {
      image: "nginx:1.27",
      env: { B: null, C: "3" },
    });
    await service.settle(ana, response.body.id);
    const app = await service.get("/v1/projects/shop/apps/patched", ana);

    expect(response.status).toBe(202);
    expect(app.body).toMatchObject({ image: "nginx:1.27", replicas: 2, env: { A: "1", C: "3" } });
    expect(app.body["env"]).not.toHaveProperty("B");
  });

  it("resets a field to its default when patched with null", async () => {
    await service.put("/v1/projects/shop/apps/reset", ana, { image: "nginx:1", port: 9000 });

    await service.patch("/v1/projects/shop/apps/reset", ana, { port: null });

    expect((await service.get("/v1/projects/shop/apps/reset", ana)).body["port"]).toBe(8080);
  });

  it("refuses a patch that makes the item invalid, naming the field", async () => {
    await service.put("/v1/projects/shop/apps/strict", ana, { image: "nginx:1" });

    const response = await service.patch<Errors>("/v1/projects/shop/apps/strict", ana, {
      replicas: "many",
      colour: "red",
    });

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.path).sort()).toEqual(["colour", "replicas"]);
  });

  it("refuses a patch that renames the item", async () => {
    await service.put("/v1/projects/shop/databases/keep", ana, { sizeGB: 1 });

    const response = await service.patch<Errors>("/v1/projects/shop/databases/keep", ana, { name: "moved" });

    expect(response.status).toBe(400);
    expect(response.body.errors[0]?.path).toBe("name");
  });
});

describe("volumes mounted by apps", () => {
  it("refuses to delete a volume an app mounts with 409 naming the apps", async () => {
    await service.put("/v1/projects/shop/volumes/data", ana, { size: "1Gi" });
    await service.put("/v1/projects/shop/apps/writer", ana, {
      image: "nginx:1",
      volumes: [{ volume: "data", mountPath: "/data" }],
    });
    await service.put("/v1/projects/shop/apps/reader", ana, {
      image: "nginx:1",
      volumes: [{ volume: "data", mountPath: "/data", readOnly: true }],
    });

    const response = await service.delete("/v1/projects/shop/volumes/data", ana);

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      type: "urn:pluskube:problem:volume-in-use",
      apps: ["writer", "reader"],
    });
    expect(response.body["detail"]).toBe(
      "volume 'data' is still mounted by apps 'writer', 'reader'; remove the mounts first",
    );
  });

  it("deletes the volume once no app mounts it", async () => {
    await service.put("/v1/projects/shop/volumes/scratch", ana, { size: "1Gi", kind: "ephemeral" });
    await service.put("/v1/projects/shop/apps/temp", ana, {
      image: "nginx:1",
      volumes: [{ volume: "scratch", mountPath: "/tmp" }],
    });
    await service.patch("/v1/projects/shop/apps/temp", ana, { volumes: [] });

    const response = await service.delete("/v1/projects/shop/volumes/scratch", ana);

    expect(response.status).toBe(202);
  });
});

describe("outputs", () => {
  it("shows what the last run reported about an app, such as its URL", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/shop/apps/site", ana, {
      image: "nginx:1.27",
    });
    await service.settle(ana, response.body.id);

    const app = await service.get("/v1/projects/shop/apps/site", ana);

    expect(app.body["outputs"]).toEqual({
      url: "https://site-a1b2c3.testzone.pluskube.test",
      urls: ["https://site-a1b2c3.testzone.pluskube.test"],
    });
  });

  it("shows the Secret a database's credentials are in", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/shop/databases/orders", ana, {
      sizeGB: 1,
    });
    await service.settle(ana, response.body.id);

    const database = await service.get("/v1/projects/shop/databases/orders", ana);

    expect(database.body["outputs"]).toEqual({ secret: "database-orders" });
  });

  it("hands the runner the whole desired spec of the project", async () => {
    const response = await service.put<{ id: string }>("/v1/projects/shop/buckets/assets", ana, {
      sizeGB: 3,
    });
    await service.settle(ana, response.body.id);

    const last = service.runner.ups("shop.testzone").at(-1);

    expect(last?.spec?.buckets.map((bucket) => bucket.name)).toContain("assets");
    expect(last?.spec?.project).toBe("shop");
  });
});

describe("stored as written", () => {
  it("keeps environment variable names as written, in the answer and in the spec the runner gets", async () => {
    const env = { DATABASE_URL: "postgres://db", my_var: "lower", Mixed_Case_9: "x", PORT: "8080" };
    const response = await service.put<{ id: string }>("/v1/projects/shop/apps/env-names", ana, {
      image: "nginx:1",
      env,
    });
    await service.settle(ana, response.body.id);

    const app = await service.get("/v1/projects/shop/apps/env-names", ana);
    const last = service.runner.ups("shop.testzone").at(-1);

    expect(app.body["env"]).toEqual(env);
    expect(last?.spec?.apps.find((item) => item.name === "env-names")?.env).toEqual(env);
  });
});
