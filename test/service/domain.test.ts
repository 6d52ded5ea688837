import { describe, expect, it } from "vitest";
import {
  admit,
  fairShare,
  policyShare,
  specAmounts,
  stackAllowance,
  zoneAllocatable,
  ZERO,
} from "../../automation-api/domain/quota.js";
import { operatorPolicyContext } from "../../automation-api/domain/policy-context.js";
import { mergePatch } from "../../automation-api/domain/spec.js";
import { toRunEvents, publicOutputs } from "../../automation-api/runner/automation-runner.js";
import { parseProjectSpec } from "../../spec/project.js";
import { loadZone } from "../../zones/index.js";
import { testZone } from "./harness.js";

describe("zoneAllocatable", () => {
  it("hands out the local zone's 15 CPUs as 60 chunks and leaves 130 GB of disk for volumes", () => {
    expect(zoneAllocatable(loadZone("local"))).toEqual({
      chunks: 60,
      volumeGB: 130,
      databaseGB: 50,
      objectGB: 100,
    });
  });

  it("is limited by the scarcest dimension: Lisbon's 88 CPUs, not its memory or disk", () => {
    expect(zoneAllocatable(loadZone("lisbon")).chunks).toBe(352);
  });

  it("gives nothing when the reserve exceeds the capacity", () => {
    const zone = testZone("tiny", {
      capacity: { cpu: "1", memory: "1Gi", disk: "5Gi", databaseGB: 0, objectGB: 0 },
    });

    expect(zoneAllocatable(zone)).toEqual({ chunks: 0, volumeGB: 0, databaseGB: 0, objectGB: 0 });
  });
});

describe("fairShare", () => {
  it("divides by the sum of weights of the active users", () => {
    const share = fairShare(testZone(), 1, 3);

    expect(share.chunks).toBe(4);
    expect(share.volumeGB).toBe(6);
    expect(share.databaseGB).toBeCloseTo(10 / 3);
    expect(share.objectGB).toBeCloseTo(20 / 3);
  });
});

describe("specAmounts", () => {
  it("counts replicas in chunks and both kinds of volume in GB", () => {
    const spec = parseProjectSpec({
      project: "p",
      zone: "testzone",
      apps: [{ name: "web", image: "nginx:1", replicas: 3, chunks: 2 }],
      volumes: [
        { name: "data", size: "2Gi" },
        { name: "tmp", size: "512Mi", kind: "ephemeral" },
      ],
      databases: [{ name: "db", sizeGB: 1.5 }],
      buckets: [{ name: "b", sizeGB: 4 }],
    });

    expect(specAmounts(spec, testZone())).toEqual({ chunks: 6, volumeGB: 2.5, databaseGB: 1.5, objectGB: 4 });
  });
});

describe("admit", () => {
  const share = { chunks: 6, volumeGB: 9, databaseGB: 5, objectGB: 10 };

  it.each([
    [
      "admits a request that fills the share exactly",
      { ...ZERO, chunks: 4 },
      { ...ZERO, chunks: 2 },
      { ...ZERO, chunks: 4 },
      true,
    ],
    [
      "refuses a request one chunk over",
      { ...ZERO, chunks: 6 },
      { ...ZERO, chunks: 4 },
      { ...ZERO, chunks: 5 },
      false,
    ],
    [
      "admits a shrink of a user above the share",
      { ...ZERO, chunks: 10 },
      { ...ZERO, chunks: 10 },
      { ...ZERO, chunks: 8 },
      true,
    ],
    [
      "admits an unchanged request of a user above the share",
      { ...ZERO, chunks: 10 },
      { ...ZERO, chunks: 10 },
      { ...ZERO, chunks: 10 },
      true,
    ],
    [
      "admits growth of another kind within its share while above in chunks",
      { ...ZERO, chunks: 10 },
      { ...ZERO, chunks: 10 },
      { ...ZERO, chunks: 10, databaseGB: 5 },
      true,
    ],
  ])("%s", (_case, used, before, after, admitted) => {
    expect(admit({ used, before, after, share }).admitted).toBe(admitted);
  });

  it("reports used, share, asked and the kinds exceeded", () => {
    const result = admit({
      used: { ...ZERO, objectGB: 8 },
      before: ZERO,
      after: { ...ZERO, objectGB: 3, chunks: 1 },
      share,
    });

    expect(result).toEqual({
      admitted: false,
      reason: "share",
      exceeded: ["objectGB"],
      used: { ...ZERO, objectGB: 8 },
      asked: { ...ZERO, objectGB: 3, chunks: 1 },
      share,
    });
  });
});

describe("policyShare", () => {
  it("converts what is left for a stack into the pack's raw units, never below what was admitted", () => {
    const zone = testZone();
    const allowance = stackAllowance(
      { chunks: 6, volumeGB: 9, databaseGB: 5, objectGB: 10 },
      { chunks: 5, volumeGB: 0, databaseGB: 0, objectGB: 0 },
      { chunks: 3, volumeGB: 1, databaseGB: 0, objectGB: 0 },
    );

    expect(allowance).toEqual({ chunks: 3, volumeGB: 9, databaseGB: 5, objectGB: 10 });
    expect(policyShare(allowance, zone)).toEqual({
      cpuMillis: 750,
      memoryBytes: 3 * 512 * 2 ** 20,
      diskBytes: 12 * 2 ** 30,
      storageBytes: 9 * 2 ** 30,
      databaseGB: 5,
      objectGB: 10,
    });
  });
});

describe("operatorPolicyContext", () => {
  const big = parseProjectSpec({
    project: "big",
    zone: "local",
    apps: [{ name: "web", image: "ghcr.io/shop/web:1.4", chunks: 16, replicas: 10 }],
  });

  it("holds an operator's stack to everything the zone hands out, however much its spec asks", () => {
    const zone = loadZone("local");

    const context = operatorPolicyContext(big, zone, []);

    expect(context.share).toEqual(policyShare(zoneAllocatable(zone), zone));
    expect(context.share.cpuMillis).toBe(15_000);
  });

  it("tells the pack the zone's domain, its TLS rule and the project's namespace", () => {
    const context = operatorPolicyContext(big, loadZone("local"), ["ghcr.io"]);

    expect(context).toMatchObject({
      namespace: "big",
      baseDomain: "local.pluskube.test",
      requireTls: false,
      allowedRegistries: ["ghcr.io"],
    });
  });
});

describe("mergePatch (RFC 7386)", () => {
  it.each([
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])("merges %j with %j into %j", (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });
});

describe("engine events", () => {
  const metadata = {
    op: "create",
    urn: "urn:pulumi:s::p::kubernetes:apps/v1:Deployment::web",
    type: "kubernetes:apps/v1:Deployment",
  };

  it("keep resource steps and drop unchanged resources and planning", () => {
    expect(toRunEvents({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata } } as never)).toEqual([
      { type: "resource", op: "create", urn: metadata.urn, resourceType: metadata.type, status: "started" },
    ]);
    expect(
      toRunEvents({
        sequence: 2,
        timestamp: 0,
        resourcePreEvent: { metadata: { ...metadata, op: "same" } },
      } as never),
    ).toEqual([]);
    expect(
      toRunEvents({ sequence: 3, timestamp: 0, resourcePreEvent: { metadata, planning: true } } as never),
    ).toEqual([]);
  });

  it("keep diagnostics but not debug chatter, and policy violations with their enforcement", () => {
    const diagnostic = (severity: string) => ({
      sequence: 4,
      timestamp: 0,
      diagnosticEvent: { severity, message: "  boom\n", color: "never" },
    });

    expect(toRunEvents(diagnostic("error") as never)).toEqual([
      { type: "diagnostic", severity: "error", message: "boom" },
    ]);
    expect(toRunEvents(diagnostic("debug") as never)).toEqual([]);
    expect(
      toRunEvents({
        sequence: 5,
        timestamp: 0,
        policyEvent: {
          policyName: "tenant-quota",
          message: "over\n",
          enforcementLevel: "mandatory",
          policyPackName: "pluskube",
          policyPackVersion: "1",
          color: "never",
        },
      } as never),
    ).toEqual([{ type: "policy", policy: "tenant-quota", message: "over", enforcement: "mandatory" }]);
  });

  it("leave secret outputs out", () => {
    expect(
      publicOutputs({ url: { value: "https://x", secret: false }, password: { value: "p", secret: true } }),
    ).toEqual({ url: "https://x" });
  });
});
