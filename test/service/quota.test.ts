import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProjectSpec } from "../../spec/project.js";
import { TestService, testZone } from "./harness.js";

/**
 * Fair-share admission. Every test zone hands out 12 chunks, 18 GB of volumes, 10 database GB
 * and 20 object GB; each test uses its own zone so that the users active in it are only its own.
 */

let service: TestService;
const ZONES = ["alone", "joined", "shrink", "weighted", "report", "policy", "rounding", "spread", "claims"];

beforeAll(async () => {
  service = await TestService.start({
    zones: [...ZONES.map((zone) => testZone(zone)), testZone("issuer", { certIssuer: "letsencrypt" })],
  });
});
afterAll(async () => {
  await service.close();
});

type Quota = {
  used: Record<string, number>;
  share: Record<string, number>;
  asked: Record<string, number>;
  exceeded: string[];
};

describe("admission", () => {
  it("admits up to the whole zone for its only user, then refuses with 409 and used, share and asked", async () => {
    const ana = await service.user("ana");
    await service.project(ana, "big", "alone");
    expect(
      (await service.put("/v1/projects/big/apps/web", ana, { image: "nginx:1", replicas: 12 })).status,
    ).toBe(202);

    const response = await service.put<Quota>("/v1/projects/big/apps/more", ana, { image: "nginx:1" });

    expect(response.status).toBe(409);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: "urn:pluskube:problem:quota-exceeded",
      zone: "alone",
      exceeded: ["chunks"],
      used: { chunks: 12, volumeGB: 0, databaseGB: 0, objectGB: 0 },
      share: { chunks: 12, volumeGB: 18, databaseGB: 10, objectGB: 20 },
      asked: { chunks: 1, volumeGB: 0, databaseGB: 0, objectGB: 0 },
    });
    expect((await service.get("/v1/projects/big/apps/more", ana)).status).toBe(404);
  });

  it("splits the zone evenly once a second user has a project there", async () => {
    const bea = await service.user("bea");
    const cid = await service.user("cid");
    await service.project(bea, "first", "joined");
    await service.project(cid, "second", "joined");

    const fits = await service.put("/v1/projects/first/apps/web", bea, { image: "nginx:1", replicas: 6 });
    const over = await service.put<Quota>("/v1/projects/second/apps/web", cid, {
      image: "nginx:1",
      replicas: 7,
    });

    expect(fits.status).toBe(202);
    expect(over.status).toBe(409);
    expect(over.body.share["chunks"]).toBe(6);
  });

  it("counts the asker as active before their first project, so a newcomer cannot take it all", async () => {
    const dan = await service.user("dan");
    const eve = await service.user("eve");
    await service.project(dan, "resident", "spread");

    const quota = await service.get<Quota>("/v1/quota?zone=spread", eve);

    expect(quota.body.share["chunks"]).toBe(6);
  });

  it("never evicts: a user left above a shrunken share keeps what runs and may still shrink, but not grow", async () => {
    const fay = await service.user("fay");
    const gus = await service.user("gus");
    await service.project(fay, "early", "shrink");
    await service.put("/v1/projects/early/apps/web", fay, { image: "nginx:1", replicas: 10 });
    await service.project(gus, "late", "shrink");

    const shrink = await service.patch("/v1/projects/early/apps/web", fay, { replicas: 8 });
    const grow = await service.patch<Quota>("/v1/projects/early/apps/web", fay, { replicas: 9 });
    const otherKind = await service.put("/v1/projects/early/databases/db", fay, { sizeGB: 5 });

    expect(shrink.status).toBe(202);
    expect(grow.status).toBe(409);
    expect(grow.body).toMatchObject({ used: { chunks: 8 }, share: { chunks: 6 }, asked: { chunks: 1 } });
    expect(otherKind.status).toBe(202);
  });

  it("gives a user with weight 2 twice the share of a user with weight 1", async () => {
    const hal = await service.user("hal", { weight: 2 });
    const ivy = await service.user("ivy");
    await service.project(hal, "donor", "weighted");
    await service.project(ivy, "guest", "weighted");

    const heavy = await service.get<Quota>("/v1/quota?zone=weighted", hal);
    const light = await service.get<Quota>("/v1/quota?zone=weighted", ivy);

    expect(heavy.body.share).toEqual({ chunks: 8, volumeGB: 12, databaseGB: 6.667, objectGB: 13.333 });
    expect(light.body.share).toEqual({ chunks: 4, volumeGB: 6, databaseGB: 3.333, objectGB: 6.667 });
  });

  it("charges an app by its largest dimension rounded up to whole chunks", async () => {
    const jon = await service.user("jon");
    await service.project(jon, "odd", "rounding");

    await service.put("/v1/projects/odd/apps/cpu", jon, { image: "nginx:1", cpu: "300m", replicas: 2 });
    await service.put("/v1/projects/odd/apps/mem", jon, { image: "nginx:1", memory: "1200Mi" });
    const quota = await service.get<Quota>("/v1/quota?zone=rounding", jon);

    expect(quota.body.used["chunks"]).toBe(2 * 2 + 3);
  });

  it("sums every project of the user in the zone", async () => {
    const kim = await service.user("kim");
    await service.project(kim, "one", "claims");
    await service.project(kim, "two", "claims");
    await service.put("/v1/projects/one/databases/a", kim, { sizeGB: 6 });

    const over = await service.put<Quota>("/v1/projects/two/databases/b", kim, { sizeGB: 5 });
    const volume = await service.put("/v1/projects/two/volumes/v", kim, { size: "18Gi" });
    const volumeOver = await service.put<Quota>("/v1/projects/one/volumes/w", kim, {
      size: "1Gi",
      kind: "ephemeral",
    });
    const bucket = await service.put<Quota>("/v1/projects/two/buckets/b", kim, { sizeGB: 21 });

    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({
      exceeded: ["databaseGB"],
      used: { databaseGB: 6 },
      asked: { databaseGB: 5 },
      share: { databaseGB: 10 },
    });
    expect(volume.status).toBe(202);
    expect(volumeOver.body.exceeded).toEqual(["volumeGB"]);
    expect(bucket.body.exceeded).toEqual(["objectGB"]);
  });
});

describe("GET /v1/quota", () => {
  it("reports share, used and free per kind", async () => {
    const lea = await service.user("lea");
    await service.project(lea, "counted", "report");
    await service.put("/v1/projects/counted/apps/web", lea, { image: "nginx:1", chunks: 2 });
    await service.put("/v1/projects/counted/volumes/data", lea, { size: "2Gi" });
    await service.put("/v1/projects/counted/buckets/files", lea, { sizeGB: 5 });

    const response = await service.get("/v1/quota?zone=report", lea);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      zone: "report",
      weight: 1,
      activeUsers: 1,
      totalWeight: 1,
      allocatable: { chunks: 12, volumeGB: 18, databaseGB: 10, objectGB: 20 },
      share: { chunks: 12, volumeGB: 18, databaseGB: 10, objectGB: 20 },
      used: { chunks: 2, volumeGB: 2, databaseGB: 0, objectGB: 5 },
      free: { chunks: 10, volumeGB: 16, databaseGB: 10, objectGB: 15 },
      zoneFree: { chunks: 10, volumeGB: 16, databaseGB: 10, objectGB: 15 },
      available: { chunks: 10, volumeGB: 16, databaseGB: 10, objectGB: 15 },
    });
  });

  it("follows every change of the zone's projects in what the zone has free", async () => {
    const [mia, noa] = [await service.user("mia"), await service.user("noa")];
    await service.project(mia, "follow-a", "report");
    await service.project(noa, "follow-b", "report");
    await service.put("/v1/projects/follow-a/apps/web", mia, { image: "nginx:1", chunks: 1 });
    const zoneFree = async () =>
      (await service.get<{ zoneFree: { chunks: number } }>("/v1/quota?zone=report", mia)).body.zoneFree
        .chunks;
    const before = await zoneFree();

    await service.put("/v1/projects/follow-b/apps/api", noa, { image: "nginx:1", chunks: 2 });
    const afterAdd = await zoneFree();
    await service.put("/v1/projects/follow-a/apps/web", mia, { image: "nginx:1", chunks: 3 });
    const afterScale = await zoneFree();

    expect([before - afterAdd, afterAdd - afterScale]).toEqual([2, 2]);
  });

  it("tells a zone's projects apart by one short row, which every added, changed or removed project changes", async () => {
    const store = service.store;
    const owner = await store.createUser({ name: "fingerprint-owner" });
    const spec = (name: string, replicas: number) =>
      parseProjectSpec({
        project: name,
        zone: "fingerprint",
        apps: [{ name: "web", image: "nginx:1", replicas }],
      });
    const prints = [await store.zoneProjectsFingerprint("fingerprint")];
    const unchanged = async () =>
      expect(await store.zoneProjectsFingerprint("fingerprint")).toBe(prints.at(-1));
    const next = async () => prints.push(await store.zoneProjectsFingerprint("fingerprint"));

    const a = await store.insertProject({
      name: "print-a",
      zone: "fingerprint",
      userId: owner.id,
      spec: spec("print-a", 1),
      revision: 1,
    });
    await next();
    await unchanged();
    const b = await store.insertProject({
      name: "print-b",
      zone: "fingerprint",
      userId: owner.id,
      spec: spec("print-b", 1),
      revision: 1,
    });
    await next();
    await store.setProjectSpec(a?.id ?? "", spec("print-a", 2), 2);
    await next();
    await unchanged();
    await store.deleteProject(b?.id ?? "");
    await next();
    await store.deleteProject(a?.id ?? "");
    await next();

    expect(new Set(prints).size).toBe(5);
    // Back to none: the empty zone's fingerprint again.
    expect(prints.at(-1)).toBe(prints[0]);
  });

  it.each([
    ["without a zone", "/v1/quota", "zone"],
    ["for an unknown zone", "/v1/quota?zone=atlantis", "zone"],
    ["with an unknown parameter", "/v1/quota?zone=report&user=ana", "user"],
  ])("refuses a quota query %s with 400 naming '%s'", async (_case, path, field) => {
    const response = await service.get<{ errors: { path: string }[] }>(path, service.adminToken);

    expect(response.status).toBe(400);
    expect(response.body.errors.map((error) => error.path)).toContain(field);
  });
});

describe("what the policy pack is told", () => {
  it("requires TLS on Ingresses only in zones with a certificate issuer", async () => {
    const ned = await service.user("ned");

    await service.project(ned, "secure", "issuer");

    expect(service.runner.ups("secure.issuer").at(-1)?.policy?.requireTls).toBe(true);
  });

  it("hands the runner the share left for the stack after the user's other projects, in raw units", async () => {
    const max = await service.user("max");
    await service.project(max, "left", "policy");
    await service.put("/v1/projects/left/apps/web", max, { image: "nginx:1", replicas: 4 });
    await service.project(max, "right", "policy");

    const response = await service.put<{ id: string }>("/v1/projects/right/databases/db", max, { sizeGB: 3 });
    await service.settle(max, response.body.id);
    const policy = service.runner.ups("right.policy").at(-1)?.policy;

    const GiB = 2 ** 30;
    expect(policy?.namespace).toBe("right");
    expect(policy?.requireTls).toBe(false);
    expect(policy?.share).toEqual({
      cpuMillis: 8 * 250,
      memoryBytes: 8 * 512 * 2 ** 20,
      diskBytes: 8 * GiB + 18 * GiB,
      storageBytes: 18 * GiB,
      databaseGB: 10,
      objectGB: 20,
    });
  });
});
