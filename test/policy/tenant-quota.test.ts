import { describe, expect, it } from "vitest";
import { tenantQuota } from "../../policy/rules/tenant-quota.js";
import { GIB } from "../../spec/quantity.js";
import {
  autoscaler,
  claimSecret,
  configMap,
  container,
  cronJob,
  deployment,
  job,
  knativeService,
  namespace,
  networkPolicy,
  pod,
  podSpec,
  pvc,
  service,
  statefulSet,
  TYPES,
} from "./fixtures.js";
import { messages, UNKNOWN, validateStack, type FakeResource } from "./harness.js";

const MIB = 2 ** 20;
const CHUNK = { cpu: "250m", memory: "512Mi" };

/** Room for a lot, so each test can tighten the one dimension it is about. */
const ROOMY = {
  cpuMillis: 8000,
  memoryBytes: 16 * GIB,
  diskBytes: 32 * GIB,
  storageBytes: 100 * GIB,
  databaseGB: 20,
  objectGB: 50,
};

async function check(resources: FakeResource[], share: Partial<typeof ROOMY> = {}) {
  return validateStack(tenantQuota, resources, { share: { ...ROOMY, ...share } });
}

/** The single violation of a stack, for tests about its message. */
async function onlyViolation(resources: FakeResource[], share: Partial<typeof ROOMY>): Promise<string> {
  const found = messages(await check(resources, share));
  expect(found).toHaveLength(1);
  return found[0] as string;
}

describe("tenant-quota", () => {
  const project = [
    namespace(),
    networkPolicy(),
    deployment({ replicas: 2 }),
    service(),
    pvc("10Gi"),
    claimSecret("database", "5"),
    claimSecret("bucket", "20"),
  ];

  it("accepts a stack within its share", async () => {
    const outcome = await check(project);

    expect(outcome.violations).toEqual([]);
    expect(outcome.advisories).toEqual([]);
  });

  it("accepts a stack that uses its share exactly", async () => {
    const exact = {
      cpuMillis: 500,
      memoryBytes: 1024 * MIB,
      diskBytes: 2 * GIB,
      storageBytes: 10 * GIB,
      databaseGB: 5,
      objectGB: 20,
    };

    expect(messages(await check(project, exact))).toEqual([]);
  });

  it("says what was used, the share, and what exceeded it", async () => {
    const message = await onlyViolation([deployment({ replicas: 3 })], { cpuMillis: 500 });

    expect(message).toBe(
      "the stack exceeds the project's share in cpu (used 750m, share 500m). " +
        "Used: cpu 750m, memory 1536Mi, disk 3Gi, storage 0, databases 0 GB, buckets 0 GB. " +
        "Share: cpu 500m, memory 16Gi, disk 32Gi, storage 100Gi, databases 20 GB, buckets 50 GB. " +
        "Counted: Deployment web.",
    );
  });

  it("lists every dimension that exceeded", async () => {
    const message = await onlyViolation(project, { cpuMillis: 250, objectGB: 10 });

    expect(message).toMatch(
      /^the stack exceeds the project's share in cpu \(used 500m, share 250m\), buckets \(used 20 GB, share 10 GB\)\./,
    );
  });

  it("is not applicable without a share", async () => {
    const outcome = await validateStack(tenantQuota, project, {});

    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual(["tenant-quota: No share configured (tenant-quota.share)"]);
  });

  it("leaves a dimension out of the share unlimited", async () => {
    const outcome = await validateStack(tenantQuota, [deployment({ replicas: 50 })], {
      share: { objectGB: 1 },
    });

    expect(outcome.violations).toEqual([]);
  });

  describe("compute", () => {
    it("counts memory times replicas", async () => {
      expect(await onlyViolation([deployment({ replicas: 4 })], { memoryBytes: GIB })).toMatch(
        /share in memory \(used 2Gi, share 1Gi\)/,
      );
    });

    it("counts a Deployment without replicas as one pod", async () => {
      const single = deployment();
      (single.props as { spec: { replicas?: number } }).spec.replicas = undefined;

      expect(messages(await check([single], { cpuMillis: 250 }))).toEqual([]);
    });

    it("counts the larger of request and limit", async () => {
      const burstable = container({
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "64Mi" } },
      });

      expect(
        await onlyViolation([deployment({ spec: podSpec({ containers: [burstable] }) })], { cpuMillis: 500 }),
      ).toMatch(/cpu \(used 1, share 500m\)/);
    });

    it("counts every container of a pod", async () => {
      const spec = podSpec({ containers: [container(), container({ name: "sidecar" })] });

      expect(await onlyViolation([deployment({ spec })], { cpuMillis: 250 })).toMatch(
        /cpu \(used 500m, share 250m\)/,
      );
    });

    it("counts an init container only when it is larger than the app containers", async () => {
      const big = container({
        name: "setup",
        resources: { requests: { cpu: "2", memory: "64Mi" }, limits: { cpu: "2", memory: "64Mi" } },
      });
      const spec = podSpec({ initContainers: [big] });

      expect(await onlyViolation([deployment({ spec })], { cpuMillis: 1000 })).toMatch(
        /cpu \(used 2, share 1\)/,
      );
      expect(messages(await check([deployment({ spec })], { memoryBytes: 512 * MIB }))).toEqual([]);
    });

    it("adds sidecar init containers, which keep running, to the app containers", async () => {
      const spec = podSpec({ initContainers: [container({ name: "proxy", restartPolicy: "Always" })] });

      expect(await onlyViolation([deployment({ spec })], { cpuMillis: 250 })).toMatch(
        /cpu \(used 500m, share 250m\)/,
      );
    });

    it("counts a StatefulSet's replicas", async () => {
      expect(await onlyViolation([statefulSet({ replicas: 3 })], { cpuMillis: 500 })).toMatch(
        /cpu \(used 750m/,
      );
    });

    it("counts a Pod once", async () => {
      expect(await onlyViolation([pod()], { cpuMillis: 100 })).toMatch(/cpu \(used 250m, share 100m\)/);
    });

    it("counts a Job's parallel pods", async () => {
      expect(await onlyViolation([job({ parallelism: 4 })], { cpuMillis: 500 })).toMatch(
        /cpu \(used 1, share 500m\)/,
      );
    });

    it("counts a Job without parallelism as one pod", async () => {
      expect(messages(await check([job()], { cpuMillis: 250 }))).toEqual([]);
    });

    it("counts a CronJob's pod", async () => {
      expect(await onlyViolation([cronJob()], { cpuMillis: 100 })).toMatch(/cpu \(used 250m, share 100m\)/);
    });

    it("counts a Knative Service at its max-scale", async () => {
      expect(await onlyViolation([knativeService({ maxScale: "5" })], { cpuMillis: 1000 })).toMatch(
        /cpu \(used 1250m, share 1\)/,
      );
    });

    it("counts a Knative Service without max-scale as one pod", async () => {
      expect(messages(await check([knativeService()], { cpuMillis: 250 }))).toEqual([]);
    });

    it("refuses a Knative Service whose max-scale is unbounded", async () => {
      const outcome = await check([knativeService({ maxScale: "0" })]);

      expect(messages(outcome)).toEqual([
        "Knative Service api: spec.template.metadata.annotations['autoscaling.knative.dev/max-scale'] must be a whole number of at least 1 so the app's pods can be counted, got '0'",
      ]);
      expect(outcome.violations[0]?.urn).toBe(
        `urn:pulumi:test::pluskube-project::${TYPES.knativeService}::api`,
      );
    });

    it("counts an autoscaled Deployment at its autoscaler's maximum", async () => {
      expect(await onlyViolation([deployment({ replicas: 1 }), autoscaler(10)], { cpuMillis: 1000 })).toMatch(
        /cpu \(used 2500m, share 1\)/,
      );
    });

    it("refuses a DaemonSet, which runs a pod on every node", async () => {
      const daemons = { ...deployment(), type: TYPES.daemonSet, name: "agent" };

      expect(messages(await check([daemons]))).toEqual([
        "DaemonSet agent: a DaemonSet runs a pod on every node of the zone, which no share can hold; use a Deployment",
      ]);
    });
  });

  describe("disk and storage", () => {
    it("counts ephemeral storage as disk", async () => {
      expect(await onlyViolation([deployment({ replicas: 2 })], { diskBytes: GIB })).toMatch(
        /disk \(used 2Gi, share 1Gi\)/,
      );
    });

    it("counts emptyDir size limits as disk, per pod, when a container has no ephemeral-storage limit", async () => {
      const unbounded = container({ resources: { requests: CHUNK, limits: CHUNK } });
      const spec = podSpec({
        containers: [unbounded],
        volumes: [{ name: "cache", emptyDir: { sizeLimit: "2Gi" } }],
      });

      expect(await onlyViolation([deployment({ replicas: 2, spec })], { diskBytes: 3 * GIB })).toMatch(
        /disk \(used 4Gi, share 3Gi\)/,
      );
    });

    it("does not add emptyDirs the containers' ephemeral-storage limits already hold", async () => {
      const spec = podSpec({ volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }] });

      expect(messages(await check([deployment({ replicas: 2, spec })], { diskBytes: 2 * GIB }))).toEqual([]);
    });

    it("leaves memory-backed emptyDirs to the memory limits", async () => {
      const unbounded = container({ resources: { requests: CHUNK, limits: CHUNK } });
      const spec = podSpec({
        containers: [unbounded],
        volumes: [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } }],
      });

      expect(messages(await check([deployment({ spec })], { diskBytes: 0 }))).toEqual([]);
    });

    it("counts PersistentVolumeClaims as storage", async () => {
      expect(await onlyViolation([pvc("10Gi"), pvc("5Gi", "logs")], { storageBytes: 12 * GIB })).toMatch(
        /storage \(used 15Gi, share 12Gi\)/,
      );
    });

    it("counts a StatefulSet's volume claim templates per replica", async () => {
      const set = statefulSet({ replicas: 3 });
      (set.props as { spec: object }).spec = {
        ...(set.props as { spec: object }).spec,
        volumeClaimTemplates: [
          { metadata: { name: "data" }, spec: { resources: { requests: { storage: "4Gi" } } } },
        ],
      };

      expect(await onlyViolation([set], { storageBytes: 10 * GIB })).toMatch(
        /storage \(used 12Gi, share 10Gi\)/,
      );
    });

    it("counts generic ephemeral volumes as storage, per pod", async () => {
      const spec = podSpec({
        volumes: [
          {
            name: "scratch",
            ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "3Gi" } } } } },
          },
        ],
      });

      expect(await onlyViolation([deployment({ replicas: 2, spec })], { storageBytes: 5 * GIB })).toMatch(
        /storage \(used 6Gi, share 5Gi\)/,
      );
    });
  });

  describe("databases and buckets", () => {
    it("counts database claims from their Secrets", async () => {
      const stack = [claimSecret("database", "5", "orders"), claimSecret("database", "7.5", "users")];

      expect(await onlyViolation(stack, { databaseGB: 10 })).toMatch(
        /databases \(used 12.5 GB, share 10 GB\)/,
      );
    });

    it("counts bucket claims from their Secrets", async () => {
      expect(await onlyViolation([claimSecret("bucket", "60")], { objectGB: 50 })).toMatch(
        /buckets \(used 60 GB, share 50 GB\)/,
      );
    });

    it("does not refuse fractions that add up to the share exactly", async () => {
      const stack = [claimSecret("bucket", "0.1", "a"), claimSecret("bucket", "0.2", "b")];

      expect(messages(await check(stack, { objectGB: 0.3 }))).toEqual([]);
    });

    it("ignores Secrets that are not claims", async () => {
      const plain = {
        ...claimSecret("database", "500"),
        props: { kind: "Secret", metadata: { name: "tls" } },
      };

      expect(messages(await check([plain], { databaseGB: 1 }))).toEqual([]);
    });

    it("refuses a claim Secret without its size", async () => {
      const outcome = await check([claimSecret("database", undefined, "orders")]);

      expect(messages(outcome)).toEqual([
        "Secret orders-secret: metadata.annotations['pluskube.dev/size-gb'] must be the database's size in GB, got ''",
      ]);
    });

    it("refuses a claim Secret whose size is not a number", async () => {
      expect(messages(await check([claimSecret("bucket", "lots")]))).toEqual([
        "Secret bucket-secret: metadata.annotations['pluskube.dev/size-gb'] must be the bucket's size in GB, got 'lots'",
      ]);
    });
  });

  describe("values unknown during preview", () => {
    function withUnknownReplicas(): FakeResource {
      const web = deployment({ name: "web" });
      (web.props as { spec: { replicas: unknown } }).spec.replicas = UNKNOWN.number;
      return web;
    }

    it("counts what is known and notes, as an advisory, what it could not count", async () => {
      const outcome = await validateStack(tenantQuota, [withUnknownReplicas(), pvc("10Gi")], {
        share: { cpuMillis: 1000, storageBytes: 20 * GIB },
      });

      expect(outcome.violations).toEqual([]);
      expect(outcome.advisories).toEqual([
        "can't run policy 'tenant-quota' from policy pack 'pluskube' during preview: " +
          "counted cpu 0, storage 10Gi of the share cpu 1, storage 20Gi, " +
          "but these values are unknown until the update and were not counted: Deployment web (spec.replicas)",
      ]);
    });

    it("refuses a stack whose known part alone exceeds the share, saying the rest was not counted", async () => {
      const outcome = await check([withUnknownReplicas(), pvc("30Gi")], { storageBytes: 20 * GIB });

      expect(outcome.advisories).toEqual([]);
      expect(messages(outcome)).toEqual([
        expect.stringMatching(
          /^the stack exceeds the project's share in storage \(used 30Gi, share 20Gi\)\..* Not yet known, so not counted \(the real total is higher\): Deployment web \(spec\.replicas\)\.$/,
        ),
      ]);
    });

    it("counts a workload whose namespace is unknown: every object of the stack is in its one namespace", async () => {
      const web = deployment({ name: "web" });
      (web.props as { metadata: { namespace: unknown } }).metadata.namespace = UNKNOWN.string;

      const outcome = await check([web], { cpuMillis: 1 });

      expect(outcome.advisories).toEqual([]);
      expect(messages(outcome)).toEqual([
        expect.stringMatching(/^the stack exceeds the project's share in cpu/),
      ]);
    });

    it("notes a claim whose size is unknown", async () => {
      const secret = claimSecret("database", "5");
      (secret.props as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
        "pluskube.dev/size-gb"
      ] = UNKNOWN.string;

      const outcome = await check([secret], { databaseGB: 10 });

      expect(outcome.advisories).toEqual([
        expect.stringMatching(
          /not counted: Secret database-secret \(metadata\.annotations\.pluskube\.dev\/size-gb\)$/,
        ),
      ]);
    });
  });

  it("counts nothing for objects that hold no share", async () => {
    const outcome = await check([namespace(), networkPolicy(), service(), configMap()], {
      cpuMillis: 0,
      memoryBytes: 0,
      diskBytes: 0,
      storageBytes: 0,
      databaseGB: 0,
      objectGB: 0,
    });

    expect(outcome.violations).toEqual([]);
  });
});
