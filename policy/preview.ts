/**
 * Values unknown during preview. The policy SDK hands rules their resources wrapped in a proxy
 * that throws an `UnknownValueError` on reading a value the engine does not know yet (one that
 * depends on another resource's output); the SDK turns that error into an advisory "can't run
 * policy during preview" note instead of a violation. Resource rules let it do so: they run again
 * with every value known before the resource is created. The stack rule `tenant-quota` catches
 * the error per value instead, so that it can count what is known (see that rule).
 */
import { createRequire } from "node:module";

interface UnknownValueErrorClass {
  new (sentinel: string, props: PropertyKey[]): Error & { props: PropertyKey[] };
}

// The class is internal to @pulumi/policy (its typings leave it out), but it is the contract
// between the SDK's proxy and its server: `server.js` checks `instanceof UnknownValueError`.
const proxy = createRequire(import.meta.url)("@pulumi/policy/proxy") as {
  UnknownValueError: UnknownValueErrorClass;
};

export type UnknownValueError = InstanceType<UnknownValueErrorClass>;

/** Whether an error says a value is unknown during preview. */
export function isUnknownValueError(error: unknown): error is UnknownValueError {
  return error instanceof proxy.UnknownValueError;
}

/** Where an unknown value is, as a field path such as `spec.replicas`. */
export function unknownPath(error: UnknownValueError): string {
  return error.props.map(String).join(".");
}
