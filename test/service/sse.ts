/** One server-sent event as a client sees it. */
export interface StreamedEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Reads an event stream to its end (or throws after `timeoutMs`), parsing each event. */
export async function readEventStream(
  url: string,
  token: string,
  options: { lastEventId?: string; timeoutMs?: number; onEvent?: (event: StreamedEvent) => void } = {},
): Promise<{ status: number; contentType: string | null; events: StreamedEvent[] }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
  if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 15_000) });
  const events: StreamedEvent[] = [];
  if (!response.body || response.status !== 200) {
    return { status: response.status, contentType: response.headers.get("content-type"), events };
  }
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      let id: string | undefined;
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      const parsed: StreamedEvent = {
        id,
        event,
        data: JSON.parse(data.join("\n")) as Record<string, unknown>,
      };
      events.push(parsed);
      options.onEvent?.(parsed);
    }
  }
  return { status: response.status, contentType: response.headers.get("content-type"), events };
}
