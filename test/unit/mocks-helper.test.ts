import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";

describe("the shared Pulumi mocks helper", () => {
  let recorder: ResourceRecorder;
  let k8s: typeof import("@pulumi/kubernetes");

  beforeAll(async () => {
    recorder = await installMocks();
    k8s = await import("@pulumi/kubernetes");
  });

  it("records a child's inputs and reads its parent's type from the URN", async () => {
    class Probe extends pulumi.ComponentResource {
      readonly name: pulumi.Output<string>;
      constructor(name: string) {
        super("pluskube:test:Probe", name);
        const ns = new k8s.core.v1.Namespace(
          `${name}-namespace`,
          { metadata: { name: "probe" } },
          { parent: this },
        );
        this.name = ns.metadata.name;
        this.registerOutputs({ name: this.name });
      }
    }
    const probe = new Probe("p");

    expect(await promiseOf(probe.name)).toBe("probe");
    expect(recorder.one("kubernetes:core/v1:Namespace").inputs).toMatchObject({
      metadata: { name: "probe" },
    });
    expect(recorder.parentTypeOf("p-namespace")).toBe("pluskube:test:Probe");
    expect(recorder.parentTypeOf("p")).toBeUndefined();
  });
});
