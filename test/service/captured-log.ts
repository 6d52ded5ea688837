import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../automation-api/observability/log.js";

/** The service's real logger writing JSON lines into memory, for tests that read what it logged. */
export class CapturedLog {
  /** Every line exactly as the service wrote it. */
  readonly raw: string[] = [];
  readonly logger: Logger;

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString("utf8").split("\n")) if (line) this.raw.push(line);
        done();
      },
    });
    this.logger = createLogger({ level: "trace", format: "json", destination: sink });
  }

  /** Each line parsed. */
  entries(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Each line's values (nested ones too) joined with spaces, as a person reads the line. */
  lines(): string[] {
    return this.entries().map((entry) => flatten(entry).join(" "));
  }

  /** Everything written, raw. */
  text(): string {
    return this.raw.join("\n");
  }
}

function flatten(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "object") return Object.values(value).flatMap(flatten);
  return [String(value)];
}
