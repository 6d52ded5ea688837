import { createRequire } from "node:module";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf, ResourceRecorder } from "../helpers/pulumi-mocks.js";
import type * as ObjectBucketModule from "../../components/object-bucket/index.js";

type Module = typeof ObjectBucketModule;
type Args = ObjectBucketModule.ObjectBucketArgs;

const STORE = "pulumi-nodejs:dynamic/pluskube:SeaweedBucket";
const SECRET = "kubernetes:core/v1:Secret";
const TYPE = "pluskube:index:ObjectBucket";

const validArgs: Args = {
  project: "shop",
  namespace: "shop",
  name: "media",
  sizeGB: 2,
  endpoint: "http://127.0.0.1:18333",
  adminAccessKeyId: "admin-key",
  adminSecretAccessKey: "admin-secret",
  shellMaster: "127.0.0.1:19333",
};

/** The part of the engine's RegisterResourceRequest these tests read. */
interface RegistrationRequest {
  getName(): string;
  getAdditionalsecretoutputsList(): string[];
}

function secretValue(value: unknown): unknown {
  expect(pulumi.runtime.isRpcSecret(value), `expected a secret, got ${JSON.stringify(value)}`).toBe(true);
  return pulumi.runtime.unwrapRpcSecret(value);
}

/** What the SeaweedFS provider reports after creating a bucket. */
const PROVIDER_OUTPUTS = {
  accessKeyId: "BUCKETKEYID",
  secretAccessKey: "bucket-secret",
  quotaEnforced: true,
  quotaStatus: "2048 MiB, set through weed shell at 127.0.0.1:19333",
};

/**
 * The shared mocks echo inputs as outputs; a dynamic resource's outputs come from its provider,
 * so these mocks add what the SeaweedFS provider would report.
 */
async function installBucketMocks(): Promise<ResourceRecorder> {
  const recorder = new ResourceRecorder();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        recorder.resources.push({ type: args.type, name: args.name, inputs, custom: args.custom ?? false });
        const state: Record<string, unknown> = { ...inputs };
        if (args.type === STORE) Object.assign(state, PROVIDER_OUTPUTS);
        if (args.type.startsWith("kubernetes:")) state.metadata = inputs.metadata;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "pluskube-project",
    "test",
    false,
  );
  return recorder;
}

describe("ObjectBucket", () => {
  let recorder: ResourceRecorder;
  let mod: Module;

  beforeAll(async () => {
    recorder = await installBucketMocks();
    mod = await import("../../components/object-bucket/index.js");
  });

  beforeEach(() => recorder.clear());

  async function create(args: Partial<Args> = {}, name = "media") {
    const component = new mod.ObjectBucket(name, { ...validArgs, ...args });
    await promiseOf(component.secretName);
    await promiseOf(component.quotaStatus);
    return component;
  }

  it("asks the SeaweedFS provider for the bucket, its identity and a quota in MiB", async () => {
    await create();

    const store = recorder.one(STORE, "media-bucket").inputs;
    expect(store).toMatchObject({
      bucket: "shop-media",
      userName: "shop-media",
      sizeMB: 2048,
      endpoint: "http://127.0.0.1:18333",
      region: "us-east-1",
      shellMaster: "127.0.0.1:19333",
      weedPath: "weed",
    });
    expect(store.__provider).toMatch(/^exports\.handler = /);
  });

  it("hands the engine a serialized provider that works once the host has loaded it", async () => {
    await create();

    const text = recorder.one(STORE, "media-bucket").inputs.__provider as string;
    const requireFromString = createRequire(import.meta.url)("require-from-string") as (code: string) => {
      handler(): { diff(id: string, olds: object, news: object): Promise<unknown> };
    };
    const provider = requireFromString(text).handler();
    const stored = { ...PROVIDER_OUTPUTS, bucket: "shop-media", sizeMB: 2048 };

    expect(await provider.diff("shop-media", stored, { bucket: "shop-media", sizeMB: 4096 })).toMatchObject({
      changes: true,
      replaces: [],
    });
  });

  it("sends the administrator's keys to the provider only as secrets", async () => {
    await create();

    const store = recorder.one(STORE, "media-bucket").inputs;
    expect(secretValue(store.adminAccessKeyId)).toBe("admin-key");
    expect(secretValue(store.adminSecretAccessKey)).toBe("admin-secret");
  });

  it("leaves the shell master out when none is given", async () => {
    await create({ shellMaster: undefined, weedPath: "/opt/seaweedfs/weed" });

    const store = recorder.one(STORE, "media-bucket").inputs;
    expect(store).not.toHaveProperty("shellMaster");
    expect(store.weedPath).toBe("/opt/seaweedfs/weed");
  });

  it("writes endpoint, region, bucket and keys as secrets into a labelled Secret", async () => {
    await create({ clusterEndpoint: "http://seaweedfs.zone.svc:8333", region: "lisbon-1" });

    const secret = recorder.one(SECRET, "media-secret").inputs as {
      metadata: Record<string, unknown>;
      stringData: unknown;
    };
    expect(secret.metadata).toEqual({
      name: "bucket-media",
      namespace: "shop",
      labels: {
        "app.kubernetes.io/managed-by": "pluskube",
        "pluskube.dev/project": "shop",
        "pluskube.dev/claim": "bucket",
      },
      annotations: { "pluskube.dev/size-gb": "2" },
    });
    expect(secretValue(secret.stringData)).toEqual({
      AWS_ACCESS_KEY_ID: "BUCKETKEYID",
      AWS_SECRET_ACCESS_KEY: "bucket-secret",
      AWS_ENDPOINT_URL_S3: "http://seaweedfs.zone.svc:8333",
      AWS_REGION: "lisbon-1",
      S3_BUCKET: "shop-media",
    });
  });

  it("points pods at the endpoint this program uses when no cluster endpoint is given", async () => {
    await create();

    const secret = recorder.one(SECRET, "media-secret").inputs as { stringData: unknown };
    expect(secretValue(secret.stringData)).toMatchObject({
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:18333",
      AWS_REGION: "us-east-1",
    });
  });

  it("exposes the bucket name, secret name, size and a secret access key id", async () => {
    const component = await create();

    expect(await promiseOf(component.bucketName)).toBe("shop-media");
    expect(await promiseOf(component.secretName)).toBe("bucket-media");
    expect(component.sizeGB).toBe(2);
    expect(await pulumi.isSecret(component.accessKeyId)).toBe(true);
    expect(await promiseOf(component.accessKeyId)).toBe("BUCKETKEYID");
    expect(await promiseOf(component.quotaEnforced)).toBe(true);
  });

  it("asks the engine to keep the bucket's secret key and the administrator's keys secret", async () => {
    // additionalSecretOutputs is applied by the engine, so read it off the registration request.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: RegistrationRequest, callback: unknown): void;
    };
    const register = monitor.registerResource.bind(monitor);
    const requested: Record<string, string[]> = {};
    monitor.registerResource = (req, callback) => {
      requested[req.getName()] = req.getAdditionalsecretoutputsList();
      register(req, callback);
    };

    await create();

    expect(requested["media-bucket"]?.sort()).toEqual(
      ["adminAccessKeyId", "adminSecretAccessKey", "secretAccessKey"].sort(),
    );
    monitor.registerResource = register;
  });

  it("parents the bucket and the Secret to the component", async () => {
    await create();

    const children = recorder.resources.filter((resource) => resource.type !== TYPE);
    expect(children.map((child) => child.name).sort()).toEqual(["media-bucket", "media-secret"]);
    for (const child of children) expect(recorder.parentTypeOf(child.name)).toBe(TYPE);
  });

  it.each<[string, Partial<Args>, string]>([
    ["an uppercase project", { project: "Shop" }, "project must be a DNS label"],
    ["a project giving a reserved bucket prefix", { project: "xn--shop" }, "must not start with xn--"],
    ["a name with a dot", { name: "media.files" }, "name must be a DNS label"],
    ["a size of 0 GB", { sizeGB: 0 }, "sizeGB must be a number of GB more than 0 and at most 10240, got 0"],
    ["a size that is not a number", { sizeGB: Number.NaN }, "sizeGB must be"],
    ["a namespace with a dot", { namespace: "shop.prod" }, "namespace must be a DNS label"],
    ["an endpoint without scheme", { endpoint: "127.0.0.1:8333" }, "endpoint must be an http or https URL"],
    [
      "a cluster endpoint on ftp",
      { clusterEndpoint: "ftp://x" },
      "clusterEndpoint must be an http or https URL",
    ],
    ["a region with a space", { region: "us east" }, "region must be a region name"],
    [
      "an empty admin key id",
      { adminAccessKeyId: "" },
      "adminAccessKeyId must be the SeaweedFS administrator's",
    ],
    [
      "a missing admin secret",
      { adminSecretAccessKey: undefined as unknown as string },
      "adminSecretAccessKey must be the SeaweedFS administrator's non-empty key, got nothing",
    ],
    [
      "a shell master without port",
      { shellMaster: "127.0.0.1" },
      "shellMaster must be a master address host:port",
    ],
    ["an empty weed path", { weedPath: " " }, "weedPath must be the path of the weed binary"],
  ])("refuses %s, naming the argument, before creating any child", async (_, bad, message) => {
    expect(() => new mod.ObjectBucket("bad", { ...validArgs, ...bad })).toThrow(message);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(recorder.resources.filter((resource) => resource.type !== TYPE)).toEqual([]);
  });

  it("never shows the administrator's secret in an error", () => {
    expect(() => new mod.ObjectBucket("bad", { ...validArgs, sizeGB: -1 })).not.toThrow(/admin-secret/);
  });
});
