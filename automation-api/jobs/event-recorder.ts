import type { RunEvent } from "../runner/runner.js";
import type { Store } from "../store/store.js";
import type { EventBus } from "./event-bus.js";

/** Buffers a run's events and writes them in batches, announcing each batch to stream listeners. */
export class EventRecorder {
  private buffer: { type: string; data: Record<string, unknown> }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly runId: string,
    private readonly operations: readonly string[],
  ) {}

  push(event: { type: string; data: Record<string, unknown> }): void {
    this.buffer.push(event);
    this.timer ??= setTimeout(() => void this.flush(), 200);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.chain = this.chain
      .then(async () => {
        if (batch.length === 0) return;
        await this.store.insertEvents(this.runId, batch);
        await this.bus.notify(this.store, this.operations);
      })
      .catch(() => {});
    return this.chain;
  }
}

/** An engine event as a stored row: its type, and the rest as data. */
export function runEventRow(event: RunEvent): { type: string; data: Record<string, unknown> } {
  const { type, ...data } = event;
  return { type, data };
}
