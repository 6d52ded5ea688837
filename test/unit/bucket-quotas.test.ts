import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CapturedLog } from "../service/captured-log.js";
import {
  enforceBucketQuotas,
  parseQuotaFlips,
  parseReadOnlyBuckets,
  setBucketQuota,
  weedShellError,
  type QuotaFlip,
} from "../../components/object-bucket/seaweed.js";
import {
  parseCollectionBytes,
  weedBucketQuotas,
  type BucketQuotas,
} from "../../automation-api/datastores/bucket-quotas.js";
import { BucketQuotaEnforcer } from "../../automation-api/jobs/bucket-quota-enforcer.js";
import { staticZones } from "../../automation-api/domain/zones.js";
import { parseZoneSpec, type ZoneSpec } from "../../spec/zone.js";
import { fakeWeed, removeFakeWeeds } from "./fixtures/fake-seaweed.js";

const scriptDirs: string[] = [];
afterAll(() => {
  removeFakeWeeds();
  for (const dir of scriptDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A `weed` that prints `output` to whatever shell commands it is fed, and logs them. */
function printingWeed(output: string): { path: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "printing-weed-"));
  scriptDirs.push(dir);
  const path = join(dir, "weed");
  const log = join(dir, "calls.log");
  writeFileSync(join(dir, "output"), output);
  writeFileSync(path, `#!/bin/sh\necho "args: $*" >> "${log}"\ncat >> "${log}"\ncat "${dir}/output"\n`);
  chmodSync(path, 0o755);
  return { path, log };
}

/** What SeaweedFS 4.48's `fs.configure` printed once the enforcement had flipped two buckets. */
const FILER_CONF = `{
  "version":  1,
  "locations":  [
    { "locationPrefix":  "/buckets/shop-media/", "collection":  "", "readOnly":  true },
    { "locationPrefix":  "/buckets/shop-logs/", "collection":  "", "readOnly":  false },
    { "locationPrefix":  "/buckets/shop-media/cache/", "readOnly":  true },
    { "locationPrefix":  "/etc/", "readOnly":  true },
    { "locationPrefix":  "/buckets/blog-files/", "readOnly":  true }
  ]
}`;

/** What its `collection.list` printed for the same zone. */
const COLLECTIONS = [
  'collection:"shop-media"\tvolumeCount:7\tsize:3145960\tfileCount:3\tdeletedBytes:1048588\tdeletion:1',
  'collection:""\tvolumeCount:7\tsize:4064\tfileCount:1\tdeletedBytes:0\tdeletion:0',
  'collection:"shop-logs"\tvolumeCount:1\tsize:100\tfileCount:1\tdeletedBytes:200\tdeletion:2',
  "Total 3 collections.",
].join("\n");

function zoneWith(s3: Partial<ZoneSpec["s3"]>, name = "city"): ZoneSpec {
  return parseZoneSpec({
    name,
    baseDomain: "apps.example.org",
    ingressClass: "nginx",
    storageClass: "standard",
    chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
    capacity: { cpu: "4", memory: "8Gi", disk: "40Gi", databaseGB: 10, objectGB: 20 },
    reserve: { cpu: "1", memory: "2Gi", disk: "10Gi" },
    postgres: { host: "127.0.0.1", port: 5432, adminUser: "pluskube", passwordFile: "/dev/null" },
    s3: { endpoint: "http://127.0.0.1:8333", adminAccessKeyFile: "/a", adminSecretKeyFile: "/b", ...s3 },
  });
}

describe("reading what weed shell says of bucket quotas", () => {
  it("finds the buckets the enforcement turned read-only and writable", () => {
    const output = [
      "  shop-media\tsize:2097304\tquota:2097152\tusage:100.01%",
      "    changing bucket shop-media to read only!",
      "  shop-logs\tsize:1048816\tquota:2097152\tusage:50.01%",
      "    changing bucket shop-logs to writable.",
    ].join("\n");

    expect(parseQuotaFlips(output)).toEqual([
      { bucket: "shop-media", readOnly: true },
      { bucket: "shop-logs", readOnly: false },
    ]);
  });

  it("finds no change in a run that changed nothing", () => {
    expect(parseQuotaFlips("")).toEqual([]);
  });

  it("finds the error of a failed command, which weed shell does not report by its exit code", () => {
    expect(weedShellError("updated\nerror: read buckets: connection refused\n")).toBe(
      "read buckets: connection refused",
    );
    expect(weedShellError("bucket quota: 2MiB")).toBeUndefined();
  });

  it("takes the read-only buckets from the filer configuration, not paths inside them or elsewhere", () => {
    expect([...parseReadOnlyBuckets(FILER_CONF)].sort()).toEqual(["blog-files", "shop-media"]);
  });

  it("reads a filer configuration without rules as no read-only bucket", () => {
    expect(parseReadOnlyBuckets("{\n}\n").size).toBe(0);
    expect(parseReadOnlyBuckets("").size).toBe(0);
  });

  it("counts a collection's live bytes: its size less what is deleted and not yet vacuumed", () => {
    expect(parseCollectionBytes(COLLECTIONS)).toEqual(
      new Map([
        ["shop-media", 2097372],
        ["", 4064],
        ["shop-logs", 0],
      ]),
    );
  });
});

describe("enforcing bucket quotas through weed shell", () => {
  it("enforces every quota right after setting one, so that a new quota holds at once", async () => {
    const weed = fakeWeed();

    await setBucketQuota({ master: "127.0.0.1:19333", weedPath: weed.path }, "shop-media", 2048);

    const calls = readFileSync(weed.log, "utf8");
    expect(calls.indexOf("s3.bucket.quota.enforce -apply")).toBeGreaterThan(
      calls.indexOf("s3.bucket.quota -name=shop-media -op=set -sizeMB=2048"),
    );
  });

  it("reports the buckets whose writability changed", async () => {
    const weed = printingWeed("    changing bucket shop-media to read only!\n");

    const flips = await enforceBucketQuotas({ master: "m:1", weedPath: weed.path });

    expect(flips).toEqual([{ bucket: "shop-media", readOnly: true }]);
    expect(readFileSync(weed.log, "utf8")).toContain("s3.bucket.quota.enforce -apply");
  });

  it("fails when weed shell printed an error", async () => {
    const weed = printingWeed("error: collect topology: connection refused\n");

    await expect(enforceBucketQuotas({ master: "m:1", weedPath: weed.path })).rejects.toThrow(
      "enforcing bucket quotas through weed shell at m:1 failed: collect topology: connection refused",
    );
  });
});

describe("a zone's bucket quotas as the service reads them", () => {
  it("tells whether a bucket's writes are refused and what the zone counts against its quota", async () => {
    const weed = printingWeed(`${FILER_CONF}\n${COLLECTIONS}\n`);
    const quotas = weedBucketQuotas(weed.path);
    const zone = zoneWith({ shellMaster: "127.0.0.1:19333" });

    expect(await quotas.state(zone, "shop-media")).toEqual({ writesRefused: true, countedBytes: 2097372 });
    expect(await quotas.state(zone, "shop-logs")).toEqual({ writesRefused: false, countedBytes: 0 });
    expect(await quotas.state(zone, "shop-new")).toEqual({ writesRefused: false, countedBytes: undefined });
    expect(readFileSync(weed.log, "utf8")).toContain("args: shell -master=127.0.0.1:19333");
  });

  it("tells nothing for a zone that names no shell master, whose quotas are not enforced", async () => {
    const weed = printingWeed(FILER_CONF);
    const quotas = weedBucketQuotas(weed.path);

    expect(await quotas.state(zoneWith({}), "shop-media")).toBeUndefined();
    expect(await quotas.enforce(zoneWith({}))).toEqual([]);
  });

  it("fails when the zone's SeaweedFS does not answer", async () => {
    const weed = printingWeed("error: filer: connection refused\n");

    await expect(
      weedBucketQuotas(weed.path).state(zoneWith({ shellMaster: "m:1" }), "shop-media"),
    ).rejects.toThrow("filer: connection refused");
  });

  it("enforces every 15 seconds unless the zone says otherwise", () => {
    expect(zoneWith({}).s3.quotaEnforceIntervalSeconds).toBe(15);
    expect(() => zoneWith({ quotaEnforceIntervalSeconds: 0 })).toThrow("must be at least 1");
  });
});

/** Bucket quotas as plain data: the flips each zone's next run reports, and the runs made. */
class FakeQuotas implements BucketQuotas {
  readonly runs: string[] = [];
  flips: QuotaFlip[] = [];
  failure: Error | undefined;
  /** When set, a run waits for this before it answers. */
  gate: Promise<void> | undefined;
  async state() {
    return undefined;
  }
  async enforce(zone: ZoneSpec) {
    this.runs.push(zone.name);
    await this.gate;
    if (this.failure) throw this.failure;
    return this.flips;
  }
}

describe("the service's bucket quota enforcement", () => {
  const enforced = zoneWith({ shellMaster: "127.0.0.1:19333", quotaEnforceIntervalSeconds: 3600 }, "city");
  const unenforced = zoneWith({}, "town");

  it("runs right away for each zone with a shell master, and not for the others", async () => {
    const quotas = new FakeQuotas();
    const enforcer = new BucketQuotaEnforcer({ zones: staticZones([enforced, unenforced]), quotas });

    enforcer.start();
    await enforcer.stop();

    expect(quotas.runs).toEqual(["city"]);
  });

  it("says which buckets it turned read-only or writable", async () => {
    const quotas = new FakeQuotas();
    quotas.flips = [
      { bucket: "shop-media", readOnly: true },
      { bucket: "blog-files", readOnly: false },
    ];
    const log = new CapturedLog();
    const enforcer = new BucketQuotaEnforcer({ zones: staticZones([enforced]), quotas, logger: log.logger });

    await enforcer.enforce(enforced);

    expect(log.entries().map(({ zone, bucket, msg }) => ({ zone, bucket, msg }))).toEqual([
      { zone: "city", bucket: "shop-media", msg: "bucket over its quota; writes refused" },
      { zone: "city", bucket: "blog-files", msg: "bucket back under its quota; writes accepted" },
    ]);
  });

  it("reports a zone that keeps failing once, and again when it recovers", async () => {
    const quotas = new FakeQuotas();
    quotas.failure = new Error("filer: connection refused");
    const log = new CapturedLog();
    const enforcer = new BucketQuotaEnforcer({ zones: staticZones([enforced]), quotas, logger: log.logger });

    await enforcer.enforce(enforced);
    await enforcer.enforce(enforced);
    quotas.failure = undefined;
    await enforcer.enforce(enforced);

    expect(quotas.runs).toHaveLength(3);
    expect(
      log.entries().map(({ zone, msg, err }) => ({ zone, msg, err: (err as { message?: string })?.message })),
    ).toEqual([
      { zone: "city", msg: "could not enforce bucket quotas", err: "filer: connection refused" },
      { zone: "city", msg: "bucket quotas are enforced again", err: undefined },
    ]);
  });

  it("joins a run under way rather than starting a second one for the same zone", async () => {
    const quotas = new FakeQuotas();
    let open = () => {};
    quotas.gate = new Promise((resolve) => (open = resolve));
    const enforcer = new BucketQuotaEnforcer({ zones: staticZones([enforced]), quotas });

    const first = enforcer.enforce(enforced);
    const second = enforcer.enforce(enforced);
    open();
    await Promise.all([first, second]);

    expect(quotas.runs).toEqual(["city"]);
  });
});
