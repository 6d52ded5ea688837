import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admit, ZERO } from "../../../automation-api/domain/quota.js";
import { bytes, cpuMillis } from "../../../spec/quantity.js";
import { parseProjectSpec } from "../../../spec/project.js";
import { TestService, testZone } from "../harness.js";
import { tenantQuota } from "../../../policy/rules/tenant-quota.js";
import { container, deployment, podSpec } from "../../policy/fixtures.js";
import { messages, validateStack } from "../../policy/harness.js";

/**
 * Finding 9: a quantity such as "1" followed by 400 zeros parsed to Infinity; with `replicas: 0`
 * the usage became NaN, which admission never flagged, so the member's compute admission was off
 * for the zone. Quantities are now finite and bounded where they are parsed, and admission
 * refuses any figure that is not finite.
 */

const HUGE = `1${"0".repeat(400)}`;

describe("quantities are finite and bounded where they are parsed", () => {
  it.each([
    ["a memory of 1 followed by 400 zeros", () => bytes(HUGE)],
    ["a memory of 1 followed by 400 zeros in Pi", () => bytes(`${HUGE}Pi`)],
    ["a CPU of 1 followed by 400 zeros", () => cpuMillis(HUGE)],
    ["a memory beyond 4Pi", () => bytes("5Pi")],
    ["a CPU beyond a million cores", () => cpuMillis("1000001")],
  ])("refuses %s", (_case, parse) => {
    expect(parse()).toBeUndefined();
  });

  it("refuses a ProjectSpec whose app asks for an infinite memory, naming the field and the bound", () => {
    expect(() =>
      parseProjectSpec({
        project: "p",
        zone: "testzone",
        apps: [{ name: "web", image: "nginx:1", memory: HUGE, replicas: 0 }],
      }),
    ).toThrow(/apps\[0\]\.memory: must be at most 4Pi/);
  });
});

describe("the policy pack and quantities it cannot count", () => {
  it("refuses a stack whose container asks for more memory than any quantity may be, rather than count it as nothing", async () => {
    const limits = { cpu: "250m", memory: "5Pi", "ephemeral-storage": "1Gi" };
    const huge = deployment({
      spec: podSpec({ containers: [container({ resources: { requests: limits, limits } })] }),
    });

    const outcome = await validateStack(tenantQuota, [huge], { share: { memoryBytes: 2 ** 40 } });

    expect(messages(outcome)).toEqual([
      expect.stringMatching(
        /app\.resources\.requests\.memory must be a positive quantity the pack can count .*got '5Pi'/,
      ),
    ]);
  });
});

describe("admission of figures that are not finite", () => {
  const share = { chunks: 6, volumeGB: 9, databaseGB: 5, objectGB: 10 };

  it.each([
    ["an asked figure that is NaN", { ...ZERO }, { ...ZERO, chunks: NaN }],
    ["a used figure that is NaN", { ...ZERO, chunks: NaN }, { ...ZERO, chunks: 1 }],
  ])("refuses %s", (_case, used, after) => {
    const admission = admit({ used, share, before: ZERO, after });

    expect(admission.admitted).toBe(false);
    expect(admission.admitted ? [] : admission.exceeded).toContain("chunks");
  });

  it("refuses a share that is not finite", () => {
    const admission = admit({ used: ZERO, share: { ...share, chunks: NaN }, before: ZERO, after: ZERO });

    expect(admission.admitted).toBe(false);
  });
});

describe("the service and infinite quantities", () => {
  let service: TestService;
  let ana: string;

  beforeAll(async () => {
    service = await TestService.start({ zones: [testZone()] });
    ana = await service.user("ana");
    await service.project(ana, "shop");
  });
  afterAll(async () => {
    await service.close();
  });

  it("answers 422 problem+json naming the field and the largest quantity allowed", async () => {
    const response = await service.put<{ errors: { path: string; message: string }[] }>(
      "/v1/projects/shop/apps/web",
      ana,
      { image: "nginx:1", memory: HUGE, replicas: 0 },
    );

    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual([
      { path: "memory", message: "must be at most 4Pi", limit: "quantity", allowed: "4Pi" },
    ]);
  });

  it("keeps the member's compute admission on after an infinite quantity was tried", async () => {
    await service.put("/v1/projects/shop/apps/web", ana, { image: "nginx:1", memory: HUGE, replicas: 0 });

    const over = await service.put("/v1/projects/shop/apps/big", ana, { image: "nginx:1", replicas: 13 });

    expect(over.status).toBe(409);
  });
});
