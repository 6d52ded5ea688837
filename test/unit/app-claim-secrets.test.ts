import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "./support/settle.js";
import type { AppClaimArgs } from "../../components/app-claim/index.js";

type Obj = Record<string, unknown>;
type Template = { metadata: { annotations?: Record<string, string> }; spec: { containers: Obj[] } & Obj };

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";

const base: AppClaimArgs = {
  project: "shop",
  app: "web",
  namespace: "shop",
  image: "registry.example.org/shop/web:1.4",
  cpu: "250m",
  memory: "512Mi",
  disk: "1Gi",
  baseDomain: "local.pluskube.test",
};

describe("AppClaim with credentials, secret variables and pull secrets", () => {
  let recorder: ResourceRecorder;
  let mod: typeof import("../../components/app-claim/index.js");

  const template = (name: string) =>
    (recorder.one(DEPLOYMENT, name).inputs.spec as { template: Template }).template;
  const env = (name: string) => template(name).spec.containers[0]?.env as Obj[];
  const checksum = (name: string) =>
    template(name).metadata.annotations?.[mod.SECRET_ENV_CHECKSUM_ANNOTATION] ?? "";

  beforeAll(async () => {
    recorder = await installMocks();
    mod = await import("../../components/app-claim/index.js");
    new mod.AppClaim("wired", {
      ...base,
      env: { PGHOST: "overridden-by-the-app", PLAIN: "x" },
      secretKeyEnv: [
        { name: "DATABASE_URL", secretName: "database-main", key: "DATABASE_URL" },
        { name: "PGHOST", secretName: "database-main", key: "PGHOST" },
      ],
      secretEnv: { API_KEY: pulumi.secret("k1"), PLAIN: "secret-wins" },
      imagePullSecrets: ["registry-credentials"],
    });
    new mod.AppClaim("rotated", {
      ...base,
      app: "rotated",
      secretEnv: { PLAIN: "secret-wins", API_KEY: "k2" },
    });
    new mod.AppClaim("reordered", {
      ...base,
      app: "reordered",
      secretEnv: { PLAIN: "secret-wins", API_KEY: "k1" },
    });
    new mod.AppClaim("plain", { ...base, app: "plain" });
    await settle(recorder);
  });

  it("reads the claims' credentials by reference to their Secrets, under the app's own env", () => {
    expect(env("wired-deployment")).toContainEqual({
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "database-main", key: "DATABASE_URL" } },
    });
    expect(env("wired-deployment")).toContainEqual({ name: "PGHOST", value: "overridden-by-the-app" });
  });

  it("writes the secret variables into the app's own Secret and reads them from it above every other", () => {
    const secret = recorder.one(SECRET, "wired-secret-env").inputs;
    expect((secret.metadata as Obj).name).toBe("app-web-env");
    const data = JSON.stringify(secret.stringData);
    expect(data).toContain('"API_KEY"');
    expect(data).toContain('"PLAIN"');
    expect(env("wired-deployment")).toContainEqual({
      name: "PLAIN",
      valueFrom: { secretKeyRef: { name: "app-web-env", key: "PLAIN" } },
    });
  });

  it("keeps the secret variables' values out of the Deployment", () => {
    const text = JSON.stringify(recorder.one(DEPLOYMENT, "wired-deployment").inputs);
    expect(text).not.toContain("k1");
    expect(text).not.toContain("secret-wins");
  });

  it("annotates the pod template with a checksum that changes when a value rotates and not on reordering", () => {
    expect(checksum("wired-deployment")).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum("rotated-deployment")).not.toBe(checksum("wired-deployment"));
    expect(checksum("reordered-deployment")).toBe(checksum("wired-deployment"));
  });

  it("makes no Secret and no annotation for an app without secret variables", () => {
    expect(recorder.resources.some((resource) => resource.name === "plain-secret-env")).toBe(false);
    expect(template("plain-deployment").metadata.annotations).toBeUndefined();
  });

  it("pulls the image with the given pull secrets, and with none when none are given", () => {
    expect(template("wired-deployment").spec.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    expect(template("plain-deployment").spec.imagePullSecrets).toBeUndefined();
  });
});
