import { UpstreamError } from "./errors.ts";

export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Server-sent events from a byte stream (the WHATWG rules: `data:` lines joined by "\n", a blank
 * line ends an event, comments and unknown fields ignored, CRLF/CR/LF line ends). Decodes in
 * streaming mode and releases the reader when the consumer stops early.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  for await (const batch of parseSseBatches(body)) yield* batch;
}

/**
 * The same, one array per network read: every event that one read completed. A stream parser
 * built on it pays one async step per read instead of one per event.
 */
export async function* parseSseBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let data: string[] = [];
  let event = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() + "\n\n" : decoder.decode(value, { stream: true });
      const batch: SseMessage[] = [];
      let end: number;
      while ((end = lineEnd(buffered)) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(buffered[end] === "\r" && buffered[end + 1] === "\n" ? end + 2 : end + 1);
        if (line === "") {
          if (data.length > 0) batch.push({ event: event || "message", data: data.join("\n") });
          data = [];
          event = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "data") data.push(text);
        else if (field === "event") event = text;
      }
      if (batch.length > 0) yield batch;
      if (done) break;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

function lineEnd(text: string): number {
  const n = text.indexOf("\n");
  const r = text.indexOf("\r");
  if (r < 0) return n;
  if (n < 0) return r === text.length - 1 ? -1 : r; // a lone CR at the end may be half of CRLF
  return Math.min(n, r);
}

/** The JSON payload of one SSE message, or an UpstreamError naming what arrived. */
export function parseSseJson(message: SseMessage): unknown {
  try {
    return JSON.parse(message.data);
  } catch {
    throw new UpstreamError(`The upstream sent a malformed stream event: ${message.data.slice(0, 200)}`);
  }
}
