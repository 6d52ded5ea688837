import { CliError, ExitCode } from "../exit-codes.js";

/** An operation as the API answers it (`Operation` in automation-api/http/schemas.ts). */
export interface Operation {
  readonly id: string;
  readonly status: "queued" | "running" | "succeeded" | "failed";
  readonly kind: "update" | "destroy";
  readonly request: string;
  readonly project: string;
  readonly zone: string;
  readonly message: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly events?: readonly OperationEvent[];
}

/** One engine event of an operation. */
export interface OperationEvent {
  readonly id?: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export const isFinished = (operation: Operation): boolean =>
  operation.status === "succeeded" || operation.status === "failed";

/** One line for an engine event, in the engine's words. */
export function describeEvent(type: string, data: Record<string, unknown>): string {
  const text = (key: string) => (typeof data[key] === "string" ? (data[key] as string) : "");
  switch (type) {
    case "resource": {
      const name = text("urn").split("::").at(-1) ?? "";
      return `${text("op")} ${text("resourceType")} ${name}: ${text("status")}`;
    }
    case "policy":
      return `policy ${text("policy")} (${text("enforcement")}): ${text("message")}`;
    case "diagnostic":
      return `${text("severity")}: ${text("message")}`;
    case "summary": {
      const changes = Object.entries((data["changes"] as Record<string, number> | undefined) ?? {})
        .map(([op, count]) => `${count} ${op}`)
        .join(", ");
      return `${text("result")}${changes ? ` (${changes})` : ""}`;
    }
    case "run": {
      const attempt = typeof data["attempt"] === "number" ? ` (attempt ${data["attempt"]})` : "";
      return `run ${text("kind")} ${text("phase")}${attempt}`.replace(/\s+/g, " ");
    }
    default:
      return text("message") || JSON.stringify(data);
  }
}

/**
 * The exit status an operation ends with: 0 when it succeeded; `refused` when a mandatory
 * policy of the pack refused it (the member's quota or the zone's rules); a failure otherwise.
 */
export function outcomeOf(operation: Operation, events: readonly OperationEvent[]): void {
  if (operation.status === "succeeded") return;
  const refusedByPolicy = events.some(
    (event) => event.type === "policy" && event.data["enforcement"] === "mandatory",
  );
  throw new CliError(
    `operation ${operation.id} ${operation.status}: ${operation.message ?? "no reason given"}`,
    refusedByPolicy ? ExitCode.refused : ExitCode.failure,
  );
}
