import { describe, expect, it } from "vitest";
import {
  firstDelaySeconds,
  isFailing,
  nextDelaySeconds,
  reconcileSettings,
  tickSeconds,
} from "../../automation-api/jobs/reconcile-schedule.js";
import { describeDrift, repairMessage } from "../../automation-api/jobs/reconcile-run.js";
import { driftOf } from "../../automation-api/runner/automation-runner.js";

const settings = { intervalSeconds: 600, maxBackoffSeconds: 3_600, reportAfterFailures: 3 };
const middle = () => 0.5;

describe("reconcile scheduling", () => {
  it("defaults to every 15 minutes, backing off to 6 hours, reported after 3 failures", () => {
    expect(reconcileSettings({})).toEqual({
      intervalSeconds: 900,
      maxBackoffSeconds: 21_600,
      reportAfterFailures: 3,
    });
  });

  it("spreads first reconciles over one whole interval", () => {
    expect(firstDelaySeconds(settings, () => 0)).toBe(0);
    expect(firstDelaySeconds(settings, () => 0.999)).toBeCloseTo(599.4);
  });

  it("waits one interval after a success, spread by ten percent either way", () => {
    expect(nextDelaySeconds(settings, 0, middle)).toBe(600);
    expect(nextDelaySeconds(settings, 0, () => 0)).toBe(540);
    expect(nextDelaySeconds(settings, 0, () => 1)).toBe(660);
  });

  it.each([
    [1, 1_200],
    [2, 2_400],
    [3, 3_600],
    [4, 3_600],
    [60, 3_600],
  ])("doubles the wait per failure up to the cap (%i failures: %i s)", (failures, seconds) => {
    expect(nextDelaySeconds(settings, failures, middle)).toBe(seconds);
  });

  it("never waits less than the interval, whatever the cap", () => {
    expect(nextDelaySeconds({ ...settings, maxBackoffSeconds: 60 }, 5, middle)).toBe(600);
  });

  it("reports a project as failing from the configured number of failures in a row", () => {
    expect(isFailing(settings, 2)).toBe(false);
    expect(isFailing(settings, 3)).toBe(true);
  });

  it("looks for due projects a tenth of the shortest interval, between 1 and 30 seconds", () => {
    expect(tickSeconds([{ reconcile: settings }, { reconcile: { ...settings, intervalSeconds: 100 } }])).toBe(
      10,
    );
    expect(tickSeconds([{ reconcile: { ...settings, intervalSeconds: 2 } }])).toBe(1);
    expect(tickSeconds([{}])).toBe(30);
    expect(tickSeconds([])).toBe(30);
  });
});

describe("drift as the member reads it", () => {
  const urn = (type: string, name: string) =>
    `urn:pulumi:p.local::pluskube-project::pluskube:index:AppClaim$${type}::${name}`;

  it.each([
    ["create", undefined, "Deployment web was deleted"],
    ["update", ["spec", "metadata"], "Deployment web was changed (spec, metadata)"],
    ["update", undefined, "Deployment web was changed"],
    ["replace", ["spec"], "Deployment web was changed and is replaced"],
    ["delete", undefined, "Deployment web was added"],
  ])("says what `%s` means", (op, properties, words) => {
    const type = "kubernetes:apps/v1:Deployment";
    expect(
      describeDrift({ urn: urn(type, "web"), resourceType: type, op, ...(properties ? { properties } : {}) }),
    ).toBe(words);
  });

  it("lists every drifted resource in one sentence", () => {
    const deployment = "kubernetes:apps/v1:Deployment";
    const policy = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
    expect(
      repairMessage([
        { urn: urn(deployment, "web"), resourceType: deployment, op: "create" },
        { urn: urn(policy, "p-deny"), resourceType: policy, op: "update", properties: ["spec"] },
      ]),
    ).toBe("repaired drift: Deployment web was deleted; NetworkPolicy p-deny was changed (spec)");
  });
});

describe("drift in a preview's events", () => {
  const step = (op: string, type: string, diffs?: string[], planning = true) =>
    ({
      sequence: 1,
      timestamp: 0,
      resourcePreEvent: {
        planning,
        metadata: { op, urn: `urn:pulumi:p.local::pluskube-project::${type}::x`, type, provider: "", diffs },
      },
    }) as never;

  it("is a planned step that changes a cluster object, with the top-level properties that differ", () => {
    expect(
      driftOf(
        step("update", "kubernetes:networking.k8s.io/v1:NetworkPolicy", [
          "spec.ingress[0]",
          "spec.podSelector",
          "metadata",
        ]),
      ),
    ).toEqual({
      urn: "urn:pulumi:p.local::pluskube-project::kubernetes:networking.k8s.io/v1:NetworkPolicy::x",
      resourceType: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      op: "update",
      properties: ["spec", "metadata"],
    });
    expect(driftOf(step("create", "kubernetes:apps/v1:Deployment"))).toMatchObject({ op: "create" });
  });

  it.each([
    ["same", "kubernetes:apps/v1:Deployment", true],
    ["refresh", "kubernetes:apps/v1:Deployment", true],
    ["update", "pluskube:index:AppClaim", true],
    ["update", "pulumi:providers:kubernetes", true],
    ["create", "kubernetes:apps/v1:Deployment", false],
  ])("is not `%s` of %s (planning: %s)", (op, type, planning) => {
    expect(driftOf(step(op, type, undefined, planning))).toBeUndefined();
  });
});
