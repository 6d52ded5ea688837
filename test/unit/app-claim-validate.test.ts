import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import type { AppClaimArgs } from "../../components/app-claim/index.js";

const valid: AppClaimArgs = {
  project: "shop",
  app: "web",
  namespace: "shop",
  image: "nginx:1.27",
  cpu: "250m",
  memory: "512Mi",
  disk: "1Gi",
  baseDomain: "local.pluskube.test",
  volumes: [{ name: "data", kind: "persistent", size: "1Gi", claimName: "data" }],
  mounts: [{ volume: "data", mountPath: "/data" }],
};

describe("validateAppClaimArgs", () => {
  let mod: typeof import("../../components/app-claim/index.js");
  let recorder: ResourceRecorder;

  beforeAll(async () => {
    recorder = await installMocks();
    mod = await import("../../components/app-claim/index.js");
  });

  it("accepts a complete, valid set of arguments", () => {
    expect(() => mod.validateAppClaimArgs(valid)).not.toThrow();
  });

  it.each<[string, Partial<AppClaimArgs>, string]>([
    ["a negative cpu", { cpu: "-1" }, "cpu must be a positive quantity such as 250m or 1, got -1"],
    ["a malformed cpu", { cpu: "lots" }, "cpu must be a positive quantity"],
    ["zero memory", { memory: "0" }, "memory must be a positive size"],
    ["memory in millibytes", { memory: "512m" }, "memory must be a positive size"],
    ["a malformed disk", { disk: "1 Gi" }, 'disk must be a positive size such as 1Gi, got "1 Gi"'],
    ["an app name with uppercase", { app: "Web" }, "app must be a DNS label"],
    ["an app name over 40 characters", { app: "a".repeat(41) }, "app must be a DNS label"],
    ["a project name with a dot", { project: "my.shop" }, "project must be a DNS label"],
    ["a namespace with an underscore", { namespace: "my_shop" }, "namespace must be a DNS label"],
    ["an image with spaces", { image: "nginx latest" }, "image must be an image reference"],
    ["an image with an uppercase registry host", { image: "Registry.Example.org/app:1" }, "image must be"],
    ["an empty image", { image: "" }, "image must be"],
    ["a port of 0", { port: 0 }, "port must be a TCP port from 1 to 65535, got 0"],
    ["a port above 65535", { port: 70000 }, "port must be a TCP port"],
    ["a fractional port", { port: 80.5 }, "port must be a TCP port"],
    ["negative replicas", { replicas: -1 }, "replicas must be a whole number from 0 to 50, got -1"],
    ["too many replicas", { replicas: 51 }, "replicas must be"],
    ["root as the user", { user: 0 }, "user must be a non-root numeric user id"],
    ["a relative working directory", { workingDir: "app" }, "workingDir must be an absolute path"],
    [
      "an env name with a dash",
      { env: { "LOG-LEVEL": "x" } },
      "env name must be an environment variable name",
    ],
    ["a base env name starting with a digit", { baseEnv: { "1ZONE": "x" } }, "baseEnv name must be"],
    ["an override name with a space", { envOverrides: { "A B": "x" } }, "envOverrides name must be"],
    [
      "a mount of an unknown volume",
      { mounts: [{ volume: "cache", mountPath: "/cache" }] },
      'mounts[0].volume must name one of the volumes (data), got "cache"',
    ],
    [
      "a relative mount path",
      { mounts: [{ volume: "data", mountPath: "data" }] },
      "mounts[0].mountPath must be",
    ],
    [
      "two mounts on one path",
      {
        mounts: [
          { volume: "data", mountPath: "/data" },
          { volume: "data", mountPath: "/data" },
        ],
      },
      "mounts[1].mountPath must be unique",
    ],
    [
      "a persistent volume without its claim",
      { volumes: [{ name: "data", kind: "persistent", size: "1Gi" }] },
      "volumes[0].claimName is required",
    ],
    [
      "a volume with a malformed size",
      { volumes: [{ name: "data", kind: "ephemeral", size: "big" }] },
      "volumes[0].size must be",
    ],
    [
      "two volumes of one name",
      {
        volumes: [
          { name: "data", kind: "ephemeral", size: "1Gi" },
          { name: "data", kind: "ephemeral", size: "1Gi" },
        ],
      },
      "volumes[1].name must be unique",
    ],
    [
      "duplicate custom domains",
      { customDomains: ["shop.example.org", "shop.example.org"] },
      "customDomains[1] must be unique",
    ],
    [
      "a wildcard custom domain",
      { customDomains: ["*.example.org"] },
      "customDomains[0] must be a host name",
    ],
    [
      "a custom domain inside the zone's base domain",
      { customDomains: ["other.local.pluskube.test"] },
      "customDomains[0] must be outside the zone's base domain",
    ],
    ["a base domain that is not a host name", { baseDomain: "localhost" }, "baseDomain must be a host name"],
    ["serverless in a zone without Knative", { serverless: true }, "serverless must be false in this zone"],
    [
      "a serverless app with no replicas",
      { serverless: true, knative: true, replicas: 0 },
      "replicas must be",
    ],
    ["a probe path that is not absolute", { probe: { path: "healthz" } }, "probe.path must be"],
    ["a negative probe delay", { probe: { initialDelaySeconds: -1 } }, "probe.initialDelaySeconds must be"],
    ["a negative minReadySeconds", { minReadySeconds: -5 }, "minReadySeconds must be"],
    ["a runtime class with uppercase", { runtimeClassName: "gVisor" }, "runtimeClassName must be"],
  ])("refuses %s, naming the argument", (_case, patch, message) => {
    const act = () => mod.validateAppClaimArgs({ ...valid, ...patch });
    expect(act).toThrow(pulumi.ResourceError);
    expect(act).toThrow(message);
  });

  it("reports every problem of one call together", () => {
    expect(() => mod.validateAppClaimArgs({ ...valid, cpu: "-1", port: 0 })).toThrow(
      /cpu must be .*; port must be/,
    );
  });

  it("leaves Outputs to be checked when they resolve", () => {
    expect(() =>
      mod.validateAppClaimArgs({
        ...valid,
        image: pulumi.output("Not An Image"),
        namespace: pulumi.output("X"),
      }),
    ).not.toThrow();
  });

  it("refuses an image Output that resolves to an invalid reference, when it resolves", async () => {
    const { checkedInput } = await import("../../components/validation.js");
    const { imageProblem } = await import("../../components/app-claim/validate.js");
    const owner = new pulumi.ComponentResource("pluskube:test:Owner", "image-owner");
    // An Output's value, known-ness and secret-ness are internal promises that a failed check
    // rejects together; the engine reports them as the deployment's error.
    const checked = pulumi.output(
      checkedInput(pulumi.output("nginx latest"), imageProblem, owner),
    ) as unknown as {
      promise(): Promise<string>;
      isKnown: Promise<boolean>;
      isSecret: Promise<boolean>;
    };
    checked.isKnown.catch(() => undefined);
    checked.isSecret.catch(() => undefined);
    await expect(checked.promise()).rejects.toThrow("image must be an image reference");
    const good = pulumi.output(checkedInput(pulumi.output("nginx:1.27"), imageProblem, owner));
    await expect((good as unknown as { promise(): Promise<string> }).promise()).resolves.toBe("nginx:1.27");
  });

  it("creates no child when validation fails", async () => {
    expect(() => new mod.AppClaim("broken", { ...valid, cpu: "-1" })).toThrow("cpu must be");
    await settle(recorder);
    expect(recorder.resources.filter((resource) => resource.name.startsWith("broken-"))).toEqual([]);
  });
});
