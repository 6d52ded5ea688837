/**
 * Every resource of @pulumi/random 4.21.1 through the real engine and the random provider the
 * toolchain bridges from Terraform's (localzone/go/random-provider): created with the SDK as it
 * is, results of the documented shape, secrets kept secret, nothing to change on refresh, a
 * keeper change replaces, destroy removes. Needs no cluster, only the engine.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as random from "@pulumi/random";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { workspaceOptions } from "./helpers/local-zone.js";

const keepers = { round: "1" };
const onOutput = (line: string): void => {
  if (process.env["PLUSKUBE_TEST_VERBOSE"] === "1") process.stdout.write(line);
};

function program(): Promise<Record<string, unknown>> {
  const k = { round: keepers.round };
  const bytes = new random.RandomBytes("bytes", { length: 24, keepers: k });
  const id = new random.RandomId("id", { byteLength: 8, prefix: "pk-" });
  const integer = new random.RandomInteger("integer", { min: 10, max: 20 });
  const password = new random.RandomPassword("password", { length: 20 });
  const pet = new random.RandomPet("pet", { length: 3, separator: "_" });
  const shuffle = new random.RandomShuffle("shuffle", { inputs: ["a", "b", "c", "d"], resultCount: 3 });
  const text = new random.RandomString("string", { length: 12, special: false, upper: false });
  const uuid = new random.RandomUuid("uuid", { keepers: k });
  const uuid4 = new random.RandomUuid4("uuid4", {});
  const uuid7 = new random.RandomUuid7("uuid7", {});
  return Promise.resolve({
    bytesBase64: bytes.base64,
    bytesHex: bytes.hex,
    bytesId: bytes.id,
    idHex: id.hex,
    integer: integer.result,
    password: password.result,
    pet: pet.id,
    shuffle: shuffle.results,
    string: text.result,
    uuid: uuid.result,
    uuid4: uuid4.result,
    uuid7: uuid7.result,
  });
}

describe("every resource of @pulumi/random on the bridged provider", () => {
  let stack: Stack;
  let outputs: Record<string, { value: unknown; secret: boolean }>;

  beforeAll(async () => {
    stack = await LocalWorkspace.createOrSelectStack(
      {
        projectName: "pluskube-random-test",
        stackName: `random-${randomBytes(3).toString("hex")}`,
        program,
      },
      await workspaceOptions(),
    );
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
  });

  it("creates all ten with results of the documented shape", async () => {
    const up = await stack.up({ onOutput });
    outputs = up.outputs;
    const value = (key: string): unknown => outputs[key]?.value;

    expect(up.summary.resourceChanges).toEqual({ create: 11 });
    expect(Buffer.from(value("bytesBase64") as string, "base64")).toHaveLength(24);
    expect(value("bytesHex")).toMatch(/^[0-9a-f]{48}$/);
    expect(value("bytesId")).toBe(value("bytesBase64"));
    expect(value("idHex")).toMatch(/^pk-[0-9a-f]{16}$/);
    expect(value("integer")).toBeGreaterThanOrEqual(10);
    expect(value("integer")).toBeLessThanOrEqual(20);
    expect(value("password")).toHaveLength(20);
    expect(value("pet")).toMatch(/^[a-z]+_[a-z]+_[a-z]+$/);
    expect([...(value("shuffle") as string[])].every((x) => ["a", "b", "c", "d"].includes(x))).toBe(true);
    expect(new Set(value("shuffle") as string[]).size).toBe(3);
    expect(value("string")).toMatch(/^[a-z0-9]{12}$/);
    expect(value("uuid")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(value("uuid4")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(value("uuid7")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("keeps the values the provider marks sensitive secret", () => {
    expect(outputs["password"]?.secret).toBe(true);
    expect(outputs["bytesBase64"]?.secret).toBe(true);
    expect(outputs["bytesHex"]?.secret).toBe(true);
    expect(outputs["string"]?.secret).toBe(false);
  });

  it("finds nothing to change on refresh and in the next preview", async () => {
    const refresh = await stack.refresh({ onOutput });
    const preview = await stack.preview({ onOutput });

    expect(refresh.summary.resourceChanges).toEqual({ same: 11 });
    expect(preview.changeSummary).toEqual({ same: 11 });
  });

  it("replaces exactly the resources whose keepers changed", async () => {
    keepers.round = "2";
    const up = await stack.up({ onOutput });

    expect(up.summary.resourceChanges).toEqual({ same: 9, replace: 2 });
    expect(up.outputs["uuid"]?.value).not.toBe(outputs["uuid"]?.value);
    expect(up.outputs["bytesBase64"]?.value).not.toBe(outputs["bytesBase64"]?.value);
    expect(up.outputs["string"]?.value).toBe(outputs["string"]?.value);
  });

  it("removes them all on destroy", async () => {
    const destroy = await stack.destroy({ onOutput });

    expect(destroy.summary.resourceChanges).toEqual({ delete: 11 });
  });
});
