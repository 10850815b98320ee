/** One server-sent event: its `event:` name (undefined = "message") and its joined `data:` lines. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * An incremental parser of `text/event-stream` (WHATWG HTML, "Parsing an event stream"): feed it
 * decoded text in any pieces; it calls `onEvent` at each blank line. Comments (`:`) and `id:` /
 * `retry:` fields are ignored; CRLF, CR and LF all end a line.
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (text: string) => void {
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  const line = (text: string) => {
    if (text === "") {
      if (data.length > 0) onEvent({ event, data: data.join("\n") });
      event = undefined;
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  };
  return function pushText(text) {
    buffer += text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR at the very end may be the first half of CRLF: wait for the next piece.
      if (c === 13 && i === buffer.length - 1) break;
      line(buffer.slice(start, i));
      if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
  };
}

/** Reads a streaming response body as events until it ends or `signal` aborts. */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (event: SseEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  const push = createSseParser(onEvent);
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      push(decoder.decode(value, { stream: true }));
    }
    push(decoder.decode() + "\n");
  } finally {
    reader.releaseLock();
  }
}
