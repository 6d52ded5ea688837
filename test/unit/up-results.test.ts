import * as pulumi from "@pulumi/pulumi";
import type { OutputMap, Stack, UpdateSummary } from "@pulumi/pulumi/automation/index.js";
import { beforeAll, describe, expect, it } from "vitest";
import { UpResults } from "../../automation-api/runner/up-results.js";
import { installMocks } from "../helpers/pulumi-mocks.js";

beforeAll(async () => {
  await installMocks();
});

/** A stack whose own reads say they were called: the answers must come from the run instead. */
function stackReadingBack(): { stack: Stack; reads: string[] } {
  const reads: string[] = [];
  const stack = {
    workspace: {
      stackOutputs: async (): Promise<OutputMap> => {
        reads.push("stack output");
        return {};
      },
    },
    info: async (): Promise<UpdateSummary | undefined> => {
      reads.push("stack history");
      return undefined;
    },
  } as unknown as Stack;
  return { stack, reads };
}

describe("an up's results kept from the run", () => {
  it("answers the outputs as the API reads them back: values, and secret when the output as a whole is", async () => {
    const results = new UpResults();
    const { stack, reads } = stackReadingBack();
    results.attach(stack);

    await results.program(async () => ({
      urls: { web: pulumi.output("http://web.test") },
      token: pulumi.secret("s3cret"),
      names: { db: pulumi.secret("db-credentials") },
    }))();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const outputs = await stack.workspace.stackOutputs("shop.local");

    expect(outputs).toEqual({
      urls: { value: { web: "http://web.test" }, secret: false },
      token: { value: "s3cret", secret: true },
      names: { value: { db: "db-credentials" }, secret: false },
    });
    expect(reads).toEqual([]);
  });

  it("answers the summary from the engine's summary event", async () => {
    const results = new UpResults();
    const { stack, reads } = stackReadingBack();
    results.attach(stack);

    results.summary({ create: 3, same: 2 });

    expect((await stack.info())?.resourceChanges).toEqual({ create: 3, same: 2 });
    expect(reads).toEqual([]);
  });

  it("reads back what the run did not give", async () => {
    const results = new UpResults();
    const { stack, reads } = stackReadingBack();
    results.attach(stack);

    await stack.workspace.stackOutputs("shop.local");
    await stack.info();

    expect(reads).toEqual(["stack output", "stack history"]);
  });
});
