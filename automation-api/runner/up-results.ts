import * as pulumi from "@pulumi/pulumi";
import type { OutputMap, PulumiFn, Stack, UpdateSummary } from "@pulumi/pulumi/automation/index.js";

/**
 * What an `up` of an inline program returns, kept as the run goes instead of read back from the
 * backend afterwards. The Automation API's `up` reads the outputs and the summary with three
 * more CLI commands once the engine is done (`stack output` twice, `stack history`): about a
 * second of every run on two cores, for values the program and the engine's summary event have
 * already given. Whatever was not seen is still read back as the API does.
 */
export class UpResults {
  private readonly values = new Map<string, { value: unknown; secret: boolean }>();
  private keys: string[] | undefined;
  private changes: Record<string, number> | undefined;

  /** The program, noting each output's value and secrecy as the engine resolves it. */
  program(inner: PulumiFn): PulumiFn {
    return async () => {
      const outputs = await inner();
      if (outputs === undefined || outputs === null || typeof outputs !== "object") {
        this.keys = [];
        return outputs;
      }
      this.keys = Object.keys(outputs);
      for (const [key, value] of Object.entries(outputs as Record<string, unknown>)) {
        const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
        // Secret as the API reads it back: the output as a whole, not a value inside it.
        const secret = pulumi.Output.isInstance(value) ? pulumi.isSecret(value) : Promise.resolve(false);
        void Promise.all([
          new Promise<unknown>((resolve) => output.apply((resolved: unknown) => resolve(resolved))),
          secret,
        ]).then(([resolved, isSecret]) => this.values.set(key, { value: resolved, secret: isSecret }));
      }
      return outputs;
    };
  }

  /** Notes the engine's summary of changes. */
  summary(changes: Record<string, number>): void {
    this.changes = changes;
  }

  /** Answers the API's reads after the engine from what was noted. */
  attach(stack: Stack): void {
    const workspace = stack.workspace;
    const readOutputs = workspace.stackOutputs.bind(workspace);
    workspace.stackOutputs = async (name: string): Promise<OutputMap> => {
      const keys = this.keys;
      if (!keys || keys.some((key) => !this.values.has(key))) return readOutputs(name);
      return Object.fromEntries(keys.map((key) => [key, this.values.get(key) as OutputMap[string]]));
    };
    const readInfo = stack.info.bind(stack);
    stack.info = async (showSecrets?: boolean): Promise<UpdateSummary | undefined> => {
      if (!this.changes) return readInfo(showSecrets);
      return { kind: "update", result: "succeeded", resourceChanges: this.changes } as UpdateSummary;
    };
  }
}
