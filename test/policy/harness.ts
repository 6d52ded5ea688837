/**
 * Runs policies the way the policy SDK's server does, without the engine: props arrive as plain
 * JSON wrapped in the SDK's unknown-checking proxy, `isType` compares type tokens, "not
 * applicable" and "unknown during preview" are caught and recorded as the server records them.
 */
import { createRequire } from "node:module";
import type {
  Policies,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

const proxy = createRequire(import.meta.url)("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(value: T): T;
  UnknownValueError: new (...args: never[]) => Error;
  unknownBooleanValue: string;
  unknownNumberValue: string;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownObjectValue: string;
};

/** Sentinels the engine puts where a value is unknown during preview; use them in fixtures. */
export const UNKNOWN = {
  boolean: proxy.unknownBooleanValue,
  number: proxy.unknownNumberValue,
  string: proxy.unknownStringValue,
  array: proxy.unknownArrayValue,
  object: proxy.unknownObjectValue,
} as const;

/** A resource as a test declares it. */
export interface FakeResource {
  readonly type: string;
  readonly name: string;
  readonly props: object;
  /** Properties of the resource's provider (e.g. a Kubernetes provider's `namespace`). */
  readonly providerProps?: Record<string, unknown>;
}

export interface Violation {
  readonly policy: string;
  readonly message: string;
  readonly urn: string | undefined;
}

/** What running policies produced. */
export interface Outcome {
  readonly violations: Violation[];
  /** Advisory notes the SDK makes of values unknown during preview. */
  readonly advisories: string[];
  readonly notApplicable: string[];
}

class NotApplicable extends Error {}

function urnOf(resource: FakeResource): string {
  return `urn:pulumi:test::pluskube-project::${resource.type}::${resource.name}`;
}

/** Props as the server hands them over: JSON (undefined dropped) behind the unknown proxy. */
function propsOf(props: object): Record<string, unknown> {
  return proxy.unknownCheckingProxy(JSON.parse(JSON.stringify(props)) as Record<string, unknown>);
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  return (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "not applicable");
};

function emptyOutcome(): Outcome {
  return { violations: [], advisories: [], notApplicable: [] };
}

async function record(policy: string, outcome: Outcome, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof NotApplicable) outcome.notApplicable.push(`${policy}: ${error.message}`);
    else if (error instanceof proxy.UnknownValueError) {
      outcome.advisories.push(
        `can't run policy '${policy}' from policy pack 'pluskube' during preview: ${error.message}`,
      );
    } else throw error;
  }
}

function resourceArgs(resource: FakeResource, config: object): ResourceValidationArgs {
  const props = propsOf(resource.props);
  return {
    type: resource.type,
    props,
    urn: urnOf(resource),
    name: resource.name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    provider: resource.providerProps && {
      type: "pulumi:providers:kubernetes",
      props: propsOf(resource.providerProps),
      urn: "urn:pulumi:test::pluskube-project::pulumi:providers:kubernetes::zone",
      name: "zone",
    },
    stackTags: new Map(),
    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
    asType: ((resourceClass: unknown) =>
      isTypeOf(resource.type, resourceClass) ? props : undefined) as never,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

function stackArgs(resources: readonly FakeResource[], config: object): StackValidationArgs {
  const policyResources = resources.map((resource): PolicyResource => ({
    type: resource.type,
    props: propsOf(resource.props),
    urn: urnOf(resource),
    name: resource.name,
    opts: resourceArgs(resource, config).opts,
    dependencies: [],
    propertyDependencies: {},
    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
    asType: () => undefined,
  }));
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** Runs a resource rule on one resource with the given rule config. */
export async function validateResource(
  policy: ResourceValidationPolicy,
  resource: FakeResource,
  config: object = {},
): Promise<Outcome> {
  const outcome = emptyOutcome();
  const validations = [policy.validateResource ?? []].flat();
  for (const validation of validations) {
    await record(policy.name, outcome, () =>
      validation(resourceArgs(resource, config), (message) =>
        outcome.violations.push({ policy: policy.name, message, urn: urnOf(resource) }),
      ),
    );
  }
  return outcome;
}

/** Runs a stack rule on a stack of resources with the given rule config. */
export async function validateStack(
  policy: StackValidationPolicy,
  resources: readonly FakeResource[],
  config: object = {},
): Promise<Outcome> {
  const outcome = emptyOutcome();
  await record(policy.name, outcome, () =>
    policy.validateStack(stackArgs(resources, config), (message, urn) =>
      outcome.violations.push({ policy: policy.name, message, urn }),
    ),
  );
  return outcome;
}

/**
 * Runs a whole pack: every resource rule on every resource, then every stack rule on the stack.
 * `config` is keyed by rule name, as in `--policy-pack-config`.
 */
export async function validatePack(
  policies: Policies,
  resources: readonly FakeResource[],
  config: Record<string, object> = {},
): Promise<Outcome> {
  const outcome = emptyOutcome();
  const merge = (part: Outcome): void => {
    outcome.violations.push(...part.violations);
    outcome.advisories.push(...part.advisories);
    outcome.notApplicable.push(...part.notApplicable);
  };
  for (const policy of policies) {
    const policyConfig = config[policy.name] ?? {};
    if ("validateResource" in policy && policy.validateResource) {
      for (const resource of resources) merge(await validateResource(policy, resource, policyConfig));
    }
    if ("validateStack" in policy && typeof policy.validateStack === "function") {
      merge(await validateStack(policy, resources, policyConfig));
    }
  }
  return outcome;
}

/** The messages of an outcome's violations. */
export function messages(outcome: Outcome): string[] {
  return outcome.violations.map((violation) => violation.message);
}
