/**
 * Kubernetes resource quantities, parsed to plain numbers so that quota arithmetic in the
 * service, the policy pack and the components agrees on one interpretation.
 */

const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|Ki|Mi|Gi|Ti|Pi|M|G|T|P)?$/;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/**
 * Largest CPU quantity anything takes, in millicores: a million cores, beyond any zone. Bounded
 * so that sums of quantities (replicas times items times projects) stay finite numbers: a digit
 * string long enough reads as Infinity, and Infinity times 0 replicas is NaN, which no
 * comparison refuses.
 */
export const MAX_CPU_MILLIS = 1_000_000_000;

/** Largest memory or storage quantity anything takes, in bytes: 4Pi, for the same reason. */
export const MAX_BYTES = 4 * 2 ** 50;

/**
 * Parses a quantity such as `250m`, `1`, `512Mi`, `2G` to its value in base units, or
 * `undefined` when it is not a quantity or not a finite number.
 */
export function parseQuantity(value: string): number | undefined {
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const suffix = match[2];
  let parsed = amount;
  if (suffix === "m") parsed = amount / 1000;
  else if (suffix !== undefined) parsed = amount * (BINARY[suffix] ?? DECIMAL[suffix] ?? NaN);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * CPU in millicores (`250m` → 250, `2` → 2000), or `undefined` when not a positive quantity of
 * at most `MAX_CPU_MILLIS`.
 */
export function cpuMillis(value: string): number | undefined {
  const parsed = parseQuantity(value);
  if (parsed === undefined || parsed <= 0) return undefined;
  const millis = Math.round(parsed * 1000);
  return millis <= MAX_CPU_MILLIS ? millis : undefined;
}

/**
 * Memory or disk in bytes (`512Mi` → 536870912), or `undefined` when not a positive whole-byte
 * quantity of at most `MAX_BYTES`.
 */
export function bytes(value: string): number | undefined {
  const parsed = parseQuantity(value);
  if (parsed === undefined || parsed <= 0) return undefined;
  const whole = Math.ceil(parsed);
  return whole <= MAX_BYTES ? whole : undefined;
}

/** True for a positive CPU quantity. */
export const isCpuQuantity = (value: string): boolean => cpuMillis(value) !== undefined;

/** True for a positive memory or storage quantity. */
export const isByteQuantity = (value: string): boolean => bytes(value) !== undefined && !/m$/.test(value);

/**
 * Why a text is not a usable quantity: not written as a positive quantity at all, or written as
 * one but beyond the bound (including those so long they read as Infinity).
 */
export type QuantityProblem = "malformed" | "beyond-bound";

function quantityProblem(value: string, valid: boolean, unitOk: boolean): QuantityProblem | undefined {
  if (valid) return undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match || !unitOk) return "malformed";
  // Only the digits say whether it is positive: the parsed value may be Infinity.
  return /[1-9]/.test(match[1] ?? "") ? "beyond-bound" : "malformed";
}

/** What is wrong with a CPU quantity, or `undefined` when it is one. */
export const cpuQuantityProblem = (value: string): QuantityProblem | undefined =>
  quantityProblem(value, isCpuQuantity(value), true);

/** What is wrong with a memory or storage quantity, or `undefined` when it is one. */
export const byteQuantityProblem = (value: string): QuantityProblem | undefined =>
  quantityProblem(value, isByteQuantity(value), !/m$/.test(value.trim()));

export const GIB = 2 ** 30;

/** Formats millicores the way Kubernetes prints them (`1500` → `1500m`, `2000` → `2`). */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Formats bytes with the largest binary suffix that divides them (`536870912` → `512Mi`). */
export function formatBytes(value: number): string {
  for (const suffix of ["Pi", "Ti", "Gi", "Mi", "Ki"] as const) {
    const unit = BINARY[suffix] as number;
    if (value % unit === 0) return `${value / unit}${suffix}`;
  }
  return String(value);
}

/** Millicores of a quantity already validated by a schema; throws naming `what` otherwise. */
export function requireCpuMillis(value: string, what: string): number {
  const parsed = cpuMillis(value);
  if (parsed === undefined) throw new Error(`invalid quantity for ${what}: '${value}'`);
  return parsed;
}

/** Bytes of a quantity already validated by a schema; throws naming `what` otherwise. */
export function requireBytes(value: string, what: string): number {
  const parsed = bytes(value);
  if (parsed === undefined) throw new Error(`invalid quantity for ${what}: '${value}'`);
  return parsed;
}
