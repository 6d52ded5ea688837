import * as pulumi from "@pulumi/pulumi";

/** A resource the mocked engine was asked to create, with the inputs it received. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly custom: boolean;
}

/** Records every resource registered under Pulumi's mocks so tests can assert on children. */
export class ResourceRecorder {
  readonly resources: RecordedResource[] = [];

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  one(type: string, name?: string): RecordedResource {
    const matches = this.ofType(type).filter((resource) => name === undefined || resource.name === name);
    if (matches.length !== 1) {
      throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}`);
    }
    return matches[0] as RecordedResource;
  }

  named(name: string): RecordedResource {
    const match = this.resources.find((resource) => resource.name === name);
    if (!match)
      throw new Error(`no resource named ${name}; have ${this.resources.map((r) => r.name).join(", ")}`);
    return match;
  }

  /**
   * Type of the resource's parent, read from the URNs the mock monitor minted (a child's URN
   * carries its parent's type chain, `parent$child`). `undefined` for a resource at the root.
   */
  parentTypeOf(name: string): string | undefined {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      getRegisteredResources(): Map<string, unknown>;
    };
    const urn = [...monitor.getRegisteredResources().keys()].find((key) => key.endsWith(`::${name}`));
    if (!urn) throw new Error(`no URN registered for ${name}`);
    const chain = (urn.split("::")[2] ?? "").split("$");
    return chain.length > 1 ? chain[chain.length - 2] : undefined;
  }

  clear(): void {
    this.resources.length = 0;
  }
}

/** Outputs the mocked engine reports for a created resource, by type, on top of its inputs. */
function mockOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const outputs: Record<string, unknown> = { ...args.inputs };
  if (
    args.type === "random:index/randomString:RandomString" ||
    args.type === "random:index/randomPassword:RandomPassword"
  ) {
    const length = Number(args.inputs.length ?? 16);
    outputs.result = "x"
      .repeat(length)
      .replace(/x/g, (_, index: number) => "abcdefghijklmnopqrstuvwxyz0123456789"[index % 36] as string);
  }
  if (args.type === "random:index/randomPet:RandomPet") outputs.id = `${args.name}-pet`;
  if (args.type.startsWith("kubernetes:")) {
    const metadata = (args.inputs.metadata ?? {}) as Record<string, unknown>;
    outputs.metadata = { ...metadata, name: metadata.name ?? `${args.name}-generated` };
  }
  return outputs;
}

/**
 * Installs Pulumi's mocks with a recorder. Call in `beforeAll`, then `await import()` the
 * module under test so it sees the mocked runtime.
 */
export async function installMocks(
  options: { project?: string; stack?: string } = {},
): Promise<ResourceRecorder> {
  const recorder = new ResourceRecorder();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorder.resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          custom: args.custom ?? false,
        });
        return { id: `${args.name}-id`, state: mockOutputs(args) };
      },
      call(args) {
        return args.inputs;
      },
    },
    options.project ?? "pluskube-project",
    options.stack ?? "test",
    false,
  );
  return recorder;
}

/** Resolves an Output's value in a test (unknowns become `undefined`). */
export function promiseOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

/** Whether an Output is marked secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}
