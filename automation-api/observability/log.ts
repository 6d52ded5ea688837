import { AsyncLocalStorage } from "node:async_hooks";
import {
  pino,
  stdSerializers,
  stdTimeFunctions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from "pino";
import pretty from "pino-pretty";
import { scrubLogValue, type ScrubList } from "./scrub.js";

export type { Logger };

/** Levels the service logs at, as `LOG_LEVEL` names them. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerSettings {
  /** Lowest level written. Default `info`. */
  readonly level?: LogLevel;
  /**
   * `json`: one JSON object a line, for log collectors. `pretty`: coloured lines for a person.
   * Default: `pretty` when `destination` is absent and stdout is a terminal, `json` otherwise.
   */
  readonly format?: "json" | "pretty";
  /** Where lines go. Default stdout. */
  readonly destination?: DestinationStream;
}

/** Fields every line of a request or a run carries, and the values to blank out of them. */
interface LogScope {
  readonly fields: Record<string, unknown>;
  readonly secrets: Set<string>;
}

const scopes = new AsyncLocalStorage<LogScope>();

/**
 * Runs `work` with `fields` (a request id, a job's stack) added to every line logged inside it,
 * however deep the call that logs: nothing has to hand a child logger down.
 */
export function withLogContext<T>(fields: Record<string, unknown>, work: () => T): T {
  const outer = scopes.getStore();
  return scopes.run({ fields: { ...outer?.fields, ...fields }, secrets: new Set(outer?.secrets) }, work);
}

/** Adds fields to every further line of the current request or run (e.g. its operations once claimed). */
export function addLogContext(fields: Record<string, unknown>): void {
  const scope = scopes.getStore();
  if (scope) Object.assign(scope.fields, fields);
}

/**
 * Values never to be written by any further line of the current run, wherever they show up (a
 * member's secret variable echoed in an engine error, say).
 */
export function addLogSecrets(values: Iterable<string>): void {
  const scope = scopes.getStore();
  if (!scope) return;
  // Short values would blank out ordinary words of unrelated lines.
  for (const value of values) if (value.length >= 4) scope.secrets.add(value);
}

/** The current scope's fields, for a response header or a problem body. */
export function logContextField(name: string): unknown {
  return scopes.getStore()?.fields[name];
}

function currentSecrets(): ScrubList {
  return scopes.getStore()?.secrets ?? EMPTY;
}
const EMPTY: ScrubList = new Set<string>();

/**
 * The service's logger: pino, JSON by default, pretty on a terminal. Every line passes through
 * the scrubber (scrub.ts), which blanks credentials by key and by shape, and the current run's
 * secret values, so no call site can leak one by mistake.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const format =
    settings.format ?? (settings.destination === undefined && process.stdout.isTTY ? "pretty" : "json");
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { pid: process.pid },
    // Names and dates a person and any collector read without a table of pino's numbers.
    timestamp: stdTimeFunctions.isoTime,
    mixin: () => scopes.getStore()?.fields ?? {},
    serializers: {
      err: (error: Error) => scrubLogValue(stdSerializers.err(error), currentSecrets()),
    },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubLogValue(object, currentSecrets()) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const secrets = currentSecrets();
        const scrubbed = args.map((arg) => (typeof arg === "string" ? scrubLogValue(arg, secrets) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const destination =
    format === "pretty"
      ? pretty({ destination: settings.destination ?? 1, sync: true, translateTime: "SYS:HH:MM:ss.l" })
      : // Written at once: the last lines before an exit or a crash are the ones that matter.
        (settings.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(options, destination);
}

/** A logger that writes nothing, for tests and tools that do not care. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Reads `LOG_LEVEL` and `LOG_FORMAT`; refuses values it does not know rather than guessing. */
export function loggerSettingsFromEnv(env: NodeJS.ProcessEnv): LoggerSettings {
  const level = env["LOG_LEVEL"]?.trim().toLowerCase();
  const format = env["LOG_FORMAT"]?.trim().toLowerCase();
  if (level && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got '${env["LOG_LEVEL"]}'`);
  }
  if (format && format !== "json" && format !== "pretty") {
    throw new Error(`LOG_FORMAT must be json or pretty, got '${env["LOG_FORMAT"]}'`);
  }
  return {
    ...(level ? { level: level as LogLevel } : {}),
    ...(format ? { format: format as "json" | "pretty" } : {}),
  };
}
