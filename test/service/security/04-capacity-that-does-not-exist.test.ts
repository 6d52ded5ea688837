import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService, testZone } from "../harness.js";

/**
 * Finding 4: a member alone in a zone is admitted to all of it; a second member was then admitted
 * to half of it although the first keeps theirs (nothing is evicted), so admitted work exceeded
 * the zone and the newcomer's pods stayed Pending. Admission now also holds the sum over every
 * member to what the zone hands out, and says how much is free now. Every test zone hands out
 * 12 chunks; each test uses its own zone.
 */

let service: TestService;

beforeAll(async () => {
  service = await TestService.start({
    zones: ["full", "grows", "race", "report"].map((zone) => testZone(zone)),
  });
});
afterAll(async () => {
  await service.close();
});

type Problem = {
  type: string;
  detail: string;
  exceeded: string[];
  used: Record<string, number>;
  share: Record<string, number>;
  asked: Record<string, number>;
  zoneFree: Record<string, number>;
};

describe("admission and the zone's total", () => {
  it("refuses a newcomer's request within their share but beyond what the zone has free, with 409 saying what is free now", async () => {
    const ana = await service.user("ana");
    const bea = await service.user("bea");
    await service.project(ana, "first", "full");
    expect(
      (await service.put("/v1/projects/first/apps/web", ana, { image: "nginx:1", replicas: 12 })).status,
    ).toBe(202);
    await service.project(bea, "second", "full");

    const response = await service.put<Problem>("/v1/projects/second/apps/web", bea, {
      image: "nginx:1",
      replicas: 3,
    });

    expect(response.status).toBe(409);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: "urn:pluskube:problem:zone-full",
      exceeded: ["chunks"],
      used: { chunks: 0 },
      share: { chunks: 6 },
      asked: { chunks: 3 },
      zoneFree: { chunks: 0 },
    });
    expect(response.body.detail).toMatch(/0 chunks free now/);
    expect(response.body.detail).toMatch(/grows as other members shrink/);
    expect((await service.get("/v1/projects/second/apps/web", bea)).status).toBe(404);
  });

  it("admits the newcomer once the first member shrinks, up to what that freed", async () => {
    const cid = await service.user("cid");
    const dan = await service.user("dan");
    await service.project(cid, "early", "grows");
    await service.put("/v1/projects/early/apps/web", cid, { image: "nginx:1", replicas: 12 });
    await service.project(dan, "late", "grows");

    expect((await service.patch("/v1/projects/early/apps/web", cid, { replicas: 9 })).status).toBe(202);
    const fits = await service.put("/v1/projects/late/apps/web", dan, { image: "nginx:1", replicas: 3 });
    const more = await service.put<Problem>("/v1/projects/late/apps/more", dan, { image: "nginx:1" });

    expect(fits.status).toBe(202);
    expect(more.status).toBe(409);
    expect(more.body.type).toBe("urn:pluskube:problem:zone-full");
  });

  it("admits only one of two members asking at once for the zone's last free chunks", async () => {
    const eve = await service.user("eve");
    const fay = await service.user("fay");
    const gus = await service.user("gus");
    await service.project(eve, "holder", "race");
    await service.put("/v1/projects/holder/apps/web", eve, { image: "nginx:1", replicas: 10 });
    await service.project(fay, "left", "race");
    await service.project(gus, "right", "race");

    const answers = await Promise.all([
      service.put("/v1/projects/left/apps/web", fay, { image: "nginx:1", replicas: 2 }),
      service.put("/v1/projects/right/apps/web", gus, { image: "nginx:1", replicas: 2 }),
    ]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
  });
});

describe("GET /v1/quota", () => {
  it("shows the fair share and, beside it, what is free in the zone now", async () => {
    const hal = await service.user("hal");
    const ivy = await service.user("ivy");
    await service.project(hal, "big", "report");
    await service.put("/v1/projects/big/apps/web", hal, { image: "nginx:1", replicas: 10 });
    await service.project(ivy, "small", "report");
    await service.put("/v1/projects/small/apps/web", ivy, { image: "nginx:1", replicas: 1 });

    const response = await service.get<Record<string, Record<string, number>>>("/v1/quota?zone=report", ivy);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      share: { chunks: 6 },
      used: { chunks: 1 },
      free: { chunks: 5 },
      zoneFree: { chunks: 1, volumeGB: 18, databaseGB: 10, objectGB: 20 },
      available: { chunks: 1, volumeGB: 9, databaseGB: 5, objectGB: 10 },
    });
  });
});
