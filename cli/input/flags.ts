import { InvalidArgumentError } from "commander";
import { isDnsLabel, isEnvName, isImageReference } from "../../spec/names.js";
import { byteQuantityProblem, cpuQuantityProblem } from "../../spec/quantity.js";

/**
 * Parsers of flag values. Each runs while the command line is read, before any request; what
 * it throws, commander shows under the flag's name, and the CLI exits with the usage status.
 */

const SIZE = /^(\d+(?:\.\d+)?)\s*(k|K|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?(B|iB)?$/;

/**
 * A size in bytes (`536870912`, as cc-style flags take it) or with a suffix: the Kubernetes
 * ones (`512Mi`, `1G`) and the same with a `B` (`512MiB`, `1GB`, `1KB`). Answers the quantity
 * the API takes (`536870912`, `512Mi`, `1G`).
 */
export function parseSize(value: string): string {
  const match = SIZE.exec(value.trim());
  const allowed = "a size in bytes (536870912) or with a suffix: 512Mi, 512MiB, 1G, 1GB";
  if (!match) throw new InvalidArgumentError(`must be ${allowed}.`);
  const [, amount = "", unit = "", bytesSuffix = ""] = match;
  // `iB` belongs after a decimal letter only: 512MiB is Mi + B, 512MB is M + B.
  const binary = bytesSuffix === "iB" ? `${unit}i` : unit;
  if (bytesSuffix === "iB" && (unit === "" || unit.endsWith("i"))) {
    throw new InvalidArgumentError(`must be ${allowed}.`);
  }
  const quantity = `${amount}${binary === "K" ? "k" : binary === "Ki" || binary === "ki" ? "Ki" : binary}`;
  const problem = byteQuantityProblem(quantity);
  if (problem === "beyond-bound") throw new InvalidArgumentError("must be at most 4Pi.");
  if (problem) throw new InvalidArgumentError(`must be ${allowed}, more than 0.`);
  return quantity;
}

/** CPUs: `0.5`, `2` or millicores `500m`. */
export function parseCpu(value: string): string {
  const problem = cpuQuantityProblem(value.trim());
  if (problem === "beyond-bound") throw new InvalidArgumentError("must be at most a million CPUs.");
  if (problem)
    throw new InvalidArgumentError(
      "must be a positive number of CPUs such as 0.5 or 2, or millicores such as 500m.",
    );
  return value.trim();
}

/** A whole number from `min` to `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return Number(value);
  };
}

/** A size in GB for databases and buckets: `5`, `0.5`, or with `G`/`GB`. */
export function parseGigabytes(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(G|GB)?$/.exec(value.trim());
  const amount = match ? Number(match[1]) : NaN;
  if (!Number.isFinite(amount) || amount <= 0) {
    throw new InvalidArgumentError("must be a size in GB more than 0, such as 5 or 5GB.");
  }
  return amount;
}

/** `K=V`, collected into a map; repeatable. */
export function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const equals = value.indexOf("=");
  const name = equals > 0 ? value.slice(0, equals) : "";
  if (!isEnvName(name)) {
    throw new InvalidArgumentError(
      "must be NAME=VALUE, the name of letters, digits and '_', not starting with a digit.",
    );
  }
  return { ...previous, [name]: value.slice(equals + 1) };
}

/** A mount of a volume: `NAME:/path` or `NAME:/path:ro`; repeatable. */
export interface MountFlag {
  readonly volume: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
}

export function collectMount(value: string, previous: readonly MountFlag[] = []): MountFlag[] {
  const match = /^([^:]+):(\/[^\s:]*)(?::(ro|rw))?$/.exec(value);
  if (!match || !isDnsLabel(match[1] ?? "", 40)) {
    throw new InvalidArgumentError(
      "must be VOLUME:/absolute/path or VOLUME:/absolute/path:ro, VOLUME a volume's name.",
    );
  }
  return [...previous, { volume: match[1] ?? "", mountPath: match[2] ?? "", readOnly: match[3] === "ro" }];
}

/** Repeatable plain values. */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** A name of a project, app, database, bucket or volume: a DNS label of at most 40 characters. */
export function parseName(value: string): string {
  if (!isDnsLabel(value, 40)) {
    throw new InvalidArgumentError(
      "must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit.",
    );
  }
  return value;
}

/** An image reference such as nginx:1.27. */
export function parseImage(value: string): string {
  if (!isImageReference(value)) {
    throw new InvalidArgumentError("must be an image reference such as nginx:1.27 or ghcr.io/team/app:1.4.");
  }
  return value;
}
