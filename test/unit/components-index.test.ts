import { beforeAll, describe, expect, it } from "vitest";
import { installMocks } from "../helpers/pulumi-mocks.js";

describe("components/index.ts", () => {
  let components: typeof import("../../components/index.js");

  beforeAll(async () => {
    await installMocks();
    components = await import("../../components/index.js");
  });

  it.each([
    ["TenantNamespace", "pluskube:index:TenantNamespace"],
    ["AppClaim", "pluskube:index:AppClaim"],
    ["ProjectDatabase", "pluskube:index:ProjectDatabase"],
    ["ObjectBucket", "pluskube:index:ObjectBucket"],
  ] as const)("exports %s by name", (name, type) => {
    expect(typeof components[name]).toBe("function");
    expect(type.endsWith(name)).toBe(true);
  });

  it("exports the label helpers every component uses", () => {
    expect(components.projectLabels("shop")).toEqual({
      "app.kubernetes.io/managed-by": "pluskube",
      "pluskube.dev/project": "shop",
    });
    expect(components.appLabels("shop", "web")).toMatchObject({ "pluskube.dev/app": "web" });
  });

  it("names the component types with the pluskube:index: tokens", () => {
    expect(components.TENANT_NAMESPACE_TYPE).toBe("pluskube:index:TenantNamespace");
    expect(components.APP_CLAIM_TYPE).toBe("pluskube:index:AppClaim");
  });
});
