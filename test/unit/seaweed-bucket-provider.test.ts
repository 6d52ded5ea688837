import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { S3Client } from "@aws-sdk/client-s3";
import { IAMClient } from "@aws-sdk/client-iam";
import {
  checkSeaweedBucket,
  diffSeaweedBucket,
  seaweedBucketProvider,
  type SeaweedBucketInputs,
  type SeaweedBucketOutputs,
} from "../../components/object-bucket/provider.js";
import {
  bucketPolicyDocument,
  parseBucketQuota,
  runWeedShell,
  setBucketQuota,
} from "../../components/object-bucket/seaweed.js";
import { FakeSeaweed, fakeWeed, removeFakeWeeds } from "./fixtures/fake-seaweed.js";

afterAll(removeFakeWeeds);

const inputs: SeaweedBucketInputs = {
  bucket: "shop-media",
  userName: "shop-media",
  sizeMB: 2048,
  endpoint: "http://127.0.0.1:18333",
  region: "us-east-1",
  adminAccessKeyId: "admin-key",
  adminSecretAccessKey: "admin-secret",
  shellMaster: "127.0.0.1:19333",
  weedPath: "weed",
};

const outputs: SeaweedBucketOutputs = {
  ...inputs,
  accessKeyId: "KEY1",
  secretAccessKey: "secret-of-KEY1",
  quotaEnforced: true,
  quotaStatus: "2048 MiB, set through weed shell at 127.0.0.1:19333",
};

describe("the SeaweedBucket provider's diff", () => {
  it.each<[string, Partial<SeaweedBucketInputs>, string[]]>([
    ["a new bucket name", { bucket: "shop-photos" }, ["bucket"]],
    ["a new identity name", { userName: "shop-photos" }, ["userName"]],
  ])("replaces the bucket for %s", (_, change, replaces) => {
    expect(diffSeaweedBucket(outputs, { ...inputs, ...change })).toEqual({
      changes: true,
      replaces,
      deleteBeforeReplace: false,
    });
  });

  it.each<[string, Partial<SeaweedBucketInputs>]>([
    ["a larger quota", { sizeMB: 4096 }],
    ["a smaller quota", { sizeMB: 1024 }],
    ["another endpoint", { endpoint: "http://seaweedfs:8333" }],
    ["another region", { region: "eu-west-1" }],
    ["a rotated administrator key", { adminAccessKeyId: "new", adminSecretAccessKey: "new-secret" }],
    ["no shell master any more", { shellMaster: undefined }],
    ["another weed binary", { weedPath: "/opt/weed" }],
  ])("updates the bucket in place for %s", (_, change) => {
    expect(diffSeaweedBucket(outputs, { ...inputs, ...change })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("reports no change when the inputs are what was stored", () => {
    expect(diffSeaweedBucket(outputs, inputs).changes).toBe(false);
  });

  it("is what the provider answers", async () => {
    const diff = seaweedBucketProvider.diff;
    expect(await diff?.("shop-media", outputs, { ...inputs, sizeMB: 1 })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});

describe("the SeaweedBucket provider's check", () => {
  it("accepts complete inputs", async () => {
    expect(await seaweedBucketProvider.check?.(inputs, inputs)).toEqual({ inputs, failures: [] });
  });

  it("names every missing property", () => {
    expect(checkSeaweedBucket({ bucket: "b", sizeMB: 0 }).map((failure) => failure.property)).toEqual([
      "userName",
      "endpoint",
      "region",
      "adminAccessKeyId",
      "adminSecretAccessKey",
      "sizeMB",
    ]);
  });
});

describe("the SeaweedBucket provider against a fake SeaweedFS", () => {
  let fake: FakeSeaweed;
  let weed: ReturnType<typeof fakeWeed>;
  let withWeed: SeaweedBucketInputs;

  beforeEach(() => {
    fake = new FakeSeaweed();
    weed = fakeWeed();
    withWeed = { ...inputs, weedPath: weed.path };
    type Send = (command: unknown) => Promise<unknown>;
    const answer = (async (command: Parameters<FakeSeaweed["send"]>[0]) => fake.send(command)) as Send;
    vi.spyOn(S3Client.prototype, "send").mockImplementation(answer as S3Client["send"]);
    vi.spyOn(IAMClient.prototype, "send").mockImplementation(answer as IAMClient["send"]);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("creates the bucket, an identity confined to it and the quota", async () => {
    const created = await seaweedBucketProvider.create(withWeed);

    expect(created.id).toBe("shop-media");
    expect(created.outs).toEqual({
      ...withWeed,
      accessKeyId: "KEY1",
      secretAccessKey: "secret-of-KEY1",
      quotaEnforced: true,
      quotaStatus: "2048 MiB, set through weed shell at 127.0.0.1:19333",
    });
    expect(fake.buckets.has("shop-media")).toBe(true);
    expect(fake.users.get("shop-media")?.policies.get("pluskube-bucket")).toBe(
      bucketPolicyDocument("shop-media"),
    );
    expect(readFileSync(weed.log, "utf8")).toContain("s3.bucket.quota -name=shop-media -op=set -sizeMB=2048");
    expect(readFileSync(weed.log, "utf8")).toContain("args: shell -master=127.0.0.1:19333");
  });

  it("puts the policy on the identity before it gets a key", async () => {
    await seaweedBucketProvider.create(withWeed);

    const iamCalls = fake.calls.filter((call) => call.endsWith("shop-media") && /User|Key/.test(call));
    expect(iamCalls).toEqual([
      "CreateUserCommand shop-media",
      "PutUserPolicyCommand shop-media",
      "CreateAccessKeyCommand shop-media",
    ]);
  });

  it("says so in its outputs when no shell master can enforce the quota", async () => {
    const { shellMaster: _, ...noShell } = withWeed;

    const created = await seaweedBucketProvider.create(noShell);

    expect(created.outs?.quotaEnforced).toBe(false);
    expect(created.outs?.quotaStatus).toBe(
      "not enforced: no shell master was given, so bucket shop-media may grow beyond 2048 MiB",
    );
    expect(created.outs).not.toHaveProperty("shellMaster");
  });

  it("refuses to take over a bucket that already exists", async () => {
    fake.buckets.set("shop-media", [{ key: "someone-elses.txt" }]);

    await expect(seaweedBucketProvider.create(withWeed)).rejects.toThrow(
      "bucket shop-media already exists on http://127.0.0.1:18333; refusing to take it over",
    );
    expect(fake.buckets.get("shop-media")).toEqual([{ key: "someone-elses.txt" }]);
    expect(fake.users.size).toBe(0);
  });

  it("undoes bucket and identity when the quota cannot be set", async () => {
    const broken = fakeWeed({ failWith: "error: master 127.0.0.1:19333 unreachable" });

    await expect(seaweedBucketProvider.create({ ...inputs, weedPath: broken.path })).rejects.toThrow(
      /creating bucket shop-media failed and was undone: .*exited with 3: error: master 127.0.0.1:19333 unreachable/,
    );
    expect(fake.buckets.size).toBe(0);
    expect(fake.users.size).toBe(0);
  });

  it("undoes a half-made identity when its key cannot be created", async () => {
    fake.failOn.add("CreateAccessKeyCommand");

    await expect(seaweedBucketProvider.create(withWeed)).rejects.toThrow(
      "creating bucket shop-media failed and was undone: InternalError (500)",
    );
    expect(fake.buckets.size).toBe(0);
    expect(fake.users.size).toBe(0);
  });

  it("reports both failures when undoing fails too", async () => {
    fake.failOn.add("CreateAccessKeyCommand").add("DeleteBucketCommand");

    await expect(seaweedBucketProvider.create(withWeed)).rejects.toThrow(
      "creating bucket shop-media failed: InternalError (500); undoing it failed too: InternalError: InternalError (500)",
    );
  });

  it("deletes every object, version and upload, then the bucket and its identity", async () => {
    await seaweedBucketProvider.create(withWeed);
    fake.buckets.set(
      "shop-media",
      ["a", "b", "c", "d", "e"].map((key) => ({ key })),
    );
    fake.versions.set("shop-media", [
      { key: "a", versionId: "1" },
      { key: "a", versionId: "2" },
      { key: "b", versionId: "1" },
    ]);
    fake.uploads.set("shop-media", [{ Key: "big.iso", UploadId: "u1" }]);

    await seaweedBucketProvider.delete?.("shop-media", { ...outputs, weedPath: weed.path });

    expect(fake.buckets.has("shop-media")).toBe(false);
    expect(fake.users.has("shop-media")).toBe(false);
    expect(fake.calls.filter((call) => call.startsWith("DeleteObjectCommand"))).toHaveLength(8);
    expect(fake.calls).toContain("AbortMultipartUploadCommand shop-media");
  });

  it("deletes without complaint what is already gone", async () => {
    await expect(seaweedBucketProvider.delete?.("shop-media", outputs)).resolves.toBeUndefined();
    expect(fake.calls).toContain("DeleteUserCommand shop-media");
  });

  it("stops deleting at an error it does not expect", async () => {
    await seaweedBucketProvider.create(withWeed);
    fake.failOn.add("DeleteUserCommand");

    await expect(seaweedBucketProvider.delete?.("shop-media", outputs)).rejects.toThrow("InternalError");
  });

  it("reads a missing bucket as gone", async () => {
    expect(await seaweedBucketProvider.read?.("shop-media", outputs)).toEqual({ id: "", props: undefined });
  });

  it("reads the quota SeaweedFS holds, so that a changed quota shows as drift", async () => {
    await seaweedBucketProvider.create(withWeed);
    await setBucketQuota({ master: "127.0.0.1:19333", weedPath: weed.path }, "shop-media", 512);

    const read = await seaweedBucketProvider.read?.("shop-media", { ...outputs, weedPath: weed.path });

    expect(read).toEqual({ id: "shop-media", props: { ...outputs, weedPath: weed.path, sizeMB: 512 } });
  });

  it("reads a bucket without shell master as stored", async () => {
    await seaweedBucketProvider.create(withWeed);
    const { shellMaster: _, ...stored } = outputs;

    expect(await seaweedBucketProvider.read?.("shop-media", stored)).toEqual({
      id: "shop-media",
      props: stored,
    });
  });

  it("changes the quota in place and keeps the identity", async () => {
    const created = await seaweedBucketProvider.create(withWeed);

    const updated = await seaweedBucketProvider.update?.("shop-media", created.outs ?? outputs, {
      ...withWeed,
      sizeMB: 4096,
    });

    expect(updated?.outs).toMatchObject({ sizeMB: 4096, accessKeyId: "KEY1", quotaEnforced: true });
    expect(readFileSync(`${weed.dir}/quota`, "utf8").trim()).toBe("4096");
    expect(fake.calls.filter((call) => call.startsWith("CreateBucketCommand"))).toHaveLength(1);
  });

  it("leaves SeaweedFS alone when only the administrator's key changes", async () => {
    const created = await seaweedBucketProvider.create(withWeed);
    const callsBefore = fake.calls.length;
    const logBefore = readFileSync(weed.log, "utf8");

    const updated = await seaweedBucketProvider.update?.("shop-media", created.outs ?? outputs, {
      ...withWeed,
      adminSecretAccessKey: "rotated",
    });

    expect(updated?.outs).toMatchObject({ adminSecretAccessKey: "rotated", quotaEnforced: true });
    expect(fake.calls.length).toBe(callsBefore);
    expect(readFileSync(weed.log, "utf8")).toBe(logBefore);
  });
});

describe("weed shell", () => {
  it.each<[string, number | undefined]>([
    ["bucket quota: 1024MiB \n", 1024],
    ["updated quota for bucket b\nbucket quota: 0MiB", 0],
    ["bucket quota: -2048MiB", -2048],
    ["error: did not find bucket b: not found", undefined],
  ])("reads the quota from %j", (output, quota) => {
    expect(parseBucketQuota(output)).toBe(quota);
  });

  it("explains a weed binary that cannot be run", async () => {
    await expect(
      runWeedShell({ master: "127.0.0.1:19333", weedPath: "/nonexistent/weed" }, ["help"]),
    ).rejects.toThrow("could not run /nonexistent/weed shell: spawn /nonexistent/weed ENOENT");
  });

  it("refuses a quota that did not take", async () => {
    const silent = fakeWeed({ silent: true });

    await expect(setBucketQuota({ master: "m:1", weedPath: silent.path }, "shop-media", 10)).rejects.toThrow(
      "setting the quota of bucket shop-media to 10 MiB through weed shell at m:1 did not take",
    );
  });
});

describe("a bucket identity's policy", () => {
  it("allows reading, writing, deleting, listing and tagging objects in that bucket only", () => {
    expect(JSON.parse(bucketPolicyDocument("shop-media"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["s3:Get*", "s3:Put*", "s3:List*", "s3:Tagging*", "s3:DeleteObject"],
          Resource: ["arn:aws:s3:::shop-media", "arn:aws:s3:::shop-media/*"],
        },
      ],
    });
  });
});
