import type { ApiClient } from "../http/client.js";
import { ApiError } from "../http/problem.js";
import { serverEvents } from "../http/event-stream.js";
import { CliError, ExitCode } from "../exit-codes.js";
import type { Output } from "../output.js";
import { describeEvent, isFinished, type Operation, type OperationEvent } from "./operation.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** What following an operation saw: the operation as it ended and every event of its run. */
export interface Followed {
  readonly operation: Operation;
  readonly events: readonly OperationEvent[];
}

/**
 * Follows an operation to its end on its event stream: each engine event as a line on stderr
 * (with `show`), a spinner on a terminal that says what runs now. Should the stream end
 * without its `done` event, the operation is read again until it is finished.
 */
export async function followOperation(
  client: ApiClient,
  id: string,
  out: Output,
  options: { show: boolean },
): Promise<Followed> {
  const events: OperationEvent[] = [];
  let frame = 0;
  let current = "waiting for a worker";
  const draw = () => out.status(`${SPINNER[frame++ % SPINNER.length]} ${id.slice(0, 8)} ${current}`);
  const timer = out.interactive ? setInterval(draw, 100) : undefined;
  try {
    const response = await client.send("GET", `/v1/operations/${id}/events`, { accept: "text/event-stream" });
    if (response.body) {
      for await (const event of serverEvents(response.body)) {
        if (event.event === "done") {
          return { operation: event.data as unknown as Operation, events };
        }
        if (event.event === "unauthorized") {
          throw new CliError(
            `the event stream ended: ${String(event.data["detail"] ?? "the token no longer works")}`,
            ExitCode.refused,
          );
        }
        // Each event's data is the stored event as the API presents it: its type and its data.
        const stored = event.data as { type?: string; data?: Record<string, unknown> };
        const received: OperationEvent = {
          id: event.id,
          type: stored.type ?? event.event,
          data: stored.data ?? {},
        };
        events.push(received);
        current = describeEvent(received.type, received.data);
        if (options.show) out.note(current);
      }
    }
    return { operation: await settled(client, id), events };
  } catch (error) {
    // Too many open streams for this token: read the operation instead.
    if (error instanceof ApiError && error.status === 429)
      return { operation: await settled(client, id), events };
    throw error;
  } finally {
    if (timer) clearInterval(timer);
    out.status("");
  }
}

/** Reads an operation until it is finished. */
async function settled(client: ApiClient, id: string): Promise<Operation> {
  for (;;) {
    const operation = await client.get<Operation>(`/v1/operations/${id}`);
    if (isFinished(operation)) return operation;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
