import * as pulumi from "@pulumi/pulumi";
import { isDnsLabel } from "../spec/names.js";
import { parseQuantity } from "../spec/quantity.js";

/**
 * Argument checking shared by the components' validators: every problem names the argument
 * and what is allowed, and all problems of one call are reported together.
 */

/** How a value is shown after "got": bare when that reads clearly, quoted otherwise. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return value.length > 0 && !/\s/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return "nothing";
  return JSON.stringify(value) ?? String(value);
}

/**
 * Whether an input is known while the program runs. Outputs and promises are checked when they
 * resolve instead (see `checkedInput`), because their value does not exist yet.
 */
export function isPlain<T>(value: pulumi.Input<T> | undefined): value is T {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** Collects the problems of one component's arguments. */
export class ArgumentProblems {
  private readonly problems: string[] = [];

  /** Records `"<argument> must be <allowed>, got <value>"`. */
  expect(argument: string, allowed: string, got: unknown): void {
    this.problems.push(`${argument} must be ${allowed}, got ${describeValue(got)}`);
  }

  /** Records a problem already phrased in full. */
  add(message: string): void {
    this.problems.push(message);
  }

  get messages(): readonly string[] {
    return this.problems;
  }

  /** Throws one `ResourceError` listing every problem, when there are any. */
  throwIfAny(what: string, resource: pulumi.Resource | undefined): void {
    if (this.problems.length === 0) return;
    throw new pulumi.ResourceError(`invalid ${what} arguments: ${this.problems.join("; ")}`, resource, true);
  }
}

/** A Kubernetes quantity of 0 or more (`0`, `250m`, `10Gi`), as quota totals may be zero. */
export function isQuantityOrZero(value: string): boolean {
  const parsed = parseQuantity(value);
  return parsed !== undefined && parsed >= 0;
}

/** A whole number within bounds. */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** A DNS subdomain, the name rule of most Kubernetes objects (`letsencrypt-prod`, `gvisor`). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split(".").every((label) => isDnsLabel(label));
}

/** An absolute path without whitespace, such as `/data`. */
export function isAbsolutePath(value: string): boolean {
  return /^\/\S*$/.test(value);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 CIDR such as `10.0.0.5/32`, or an IPv6 one such as `fd00::/8`. */
export function isCidr(value: string): boolean {
  const [address = "", prefix, ...rest] = value.split("/");
  if (prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (IPV4.test(address)) return bits <= 32;
  return address.includes(":") && /^[0-9a-f:.]+$/i.test(address) && bits <= 128;
}

/**
 * An input that fails the deployment with a `ResourceError` when it resolves to a value the
 * check refuses; plain values have been checked up front by the validator already.
 */
export function checkedInput<T>(
  value: pulumi.Input<T>,
  check: (resolved: T) => string | undefined,
  resource: pulumi.Resource,
): pulumi.Input<T> {
  if (isPlain(value)) return value;
  return pulumi.output(value).apply((resolved) => {
    const problem = check(resolved as T);
    if (problem) throw new pulumi.ResourceError(problem, resource, true);
    return resolved;
  }) as pulumi.Input<T>;
}
