import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import type { SeaweedBucketInputs, SeaweedBucketOutputs } from "../../components/object-bucket/provider.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const script = fileURLToPath(new URL("./fixtures/serialize-seaweed-provider.ts", import.meta.url));
const require = createRequire(import.meta.url);
// What Pulumi's dynamic-provider host uses to turn the stored text back into a provider.
const requireFromString = require("require-from-string") as (code: string) => { handler(): unknown };

const inputs: SeaweedBucketInputs = {
  bucket: "shop-media",
  userName: "shop-media",
  sizeMB: 2048,
  endpoint: "http://127.0.0.1:1",
  region: "us-east-1",
  adminAccessKeyId: "admin-key",
  adminSecretAccessKey: "admin-secret",
  weedPath: "weed",
};

describe("the SeaweedBucket provider in an ES-module program", () => {
  let text: string;
  let provider: pulumi.dynamic.ResourceProvider<SeaweedBucketInputs, SeaweedBucketOutputs>;

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [require.resolve("tsx/cli"), script], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    text = stdout;
    provider = requireFromString(text).handler() as typeof provider;
  }, 120_000);

  it("serializes without capturing modules or Pulumi itself", () => {
    expect(text).toContain("exports.handler");
    expect(text).not.toMatch(/require\(["']@pulumi\/pulumi/);
    expect(text).not.toMatch(/\bimport\(/);
    expect(text).toContain('loadPackage("@aws-sdk/client-s3")');
    expect(text).toContain('loadPackage("@aws-sdk/client-iam")');
  });

  it("answers diff after deserialization as the host does", async () => {
    const stored = {
      ...inputs,
      accessKeyId: "K",
      secretAccessKey: "S",
      quotaEnforced: false,
      quotaStatus: "",
    };

    expect(await provider.diff?.("shop-media", stored, { ...inputs, sizeMB: 4096 })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await provider.diff?.("shop-media", stored, { ...inputs, bucket: "shop-photos" })).toMatchObject({
      replaces: ["bucket"],
    });
  });

  it("loads the AWS SDK when it runs, and so reaches for the endpoint", async () => {
    await expect(provider.create(inputs)).rejects.toThrow(/ECONNREFUSED/);
  });
});
