import { UpstreamError } from "./errors.ts";

export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Server-sent events from a byte stream (the WHATWG rules: `data:` lines joined by "\n", a blank
 * line ends an event, comments and unknown fields ignored, CRLF/CR/LF line ends; one exception, an
 * `error:` line, which llama.cpp's server sends for a failure, is an `error` event of that data). Decodes in
 * streaming mode and releases the reader when the consumer stops early.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  for await (const batch of parseSseBatches(body)) yield* batch;
}

/**
 * The same, one array per network read: every event that one read completed. A stream parser
 * built on it pays one async step per read instead of one per event. A read of comments only (an
 * upstream's keep-alive, OpenRouter's `: OPENROUTER PROCESSING`) is an empty array: the upstream is
 * not silent, which a stream's idle time-out must know.
 *
 * Linear in the bytes: lines are found from a cursor (the next LF and the next CR are each searched
 * for once, not per line: searching the rest of a large read for a CR per line made the parser the
 * gateway's largest cost on a fast upstream), and field values are cut straight from the read.
 */
export async function* parseSseBatches(body: ReadableStream<Uint8Array>, maxEventChars = MAX_EVENT_CHARS): AsyncGenerator<SseMessage[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  // The event being read: its data lines joined by "\n" (undefined: no data line yet), its type.
  let data: string | undefined;
  let event = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      // What was kept from the last read holds no line end (but perhaps a CR at its very end, half
      // of a CRLF): the search starts after it, so a long line costs its length once, not per read.
      const kept = buffered.length;
      buffered += done ? decoder.decode() + "\n\n" : decoder.decode(value, { stream: true });
      const batch: SseMessage[] = [];
      let commented = false;
      let pos = 0;
      let lf = buffered.indexOf("\n", kept);
      let cr = buffered.indexOf("\r", kept === 0 ? 0 : kept - 1);
      for (;;) {
        if (lf >= 0 && lf < pos) lf = buffered.indexOf("\n", pos);
        if (cr >= 0 && cr < pos) cr = buffered.indexOf("\r", pos);
        let end: number;
        let next: number;
        if (cr < 0 || (lf >= 0 && lf < cr)) {
          if (lf < 0) break;
          end = lf;
          next = lf + 1;
        } else {
          // A CR at the very end may be half of a CRLF: wait for the next read.
          if (cr === buffered.length - 1) break;
          end = cr;
          next = buffered.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        }
        const start = pos;
        pos = next;
        if (end === start) {
          if (data !== undefined) batch.push({ event: event || "message", data });
          data = undefined;
          event = "";
          continue;
        }
        if (buffered.charCodeAt(start) === COLON) {
          commented = true; // a comment
          continue;
        }
        let colon = buffered.indexOf(":", start);
        if (colon < 0 || colon > end) colon = end;
        let from = colon + 1;
        if (from < end && buffered.charCodeAt(from) === SPACE) from++;
        const text = from >= end ? "" : buffered.slice(from, end);
        if (colon - start === 4 && buffered.startsWith("data", start)) data = data === undefined ? text : `${data}\n${text}`;
        else if (colon - start === 5 && buffered.startsWith("event", start)) event = text;
        else if (colon - start === 5 && buffered.startsWith("error", start)) {
          // Not a field of the standard: llama.cpp's server sends a stream's failure as `error: {json}` (server_sent_event(sink, "error", …)).
          event = "error";
          data = text;
        }
      }
      buffered = pos === 0 ? buffered : buffered.slice(pos);
      if (batch.length > 0 || (commented && !done)) yield batch;
      if (done) break;
      // An event (or a line) without an end in sight is no stream a client can be given: a broken or
      // hostile upstream would otherwise grow this buffer until the gateway runs out of memory.
      if (buffered.length + (data?.length ?? 0) > maxEventChars) {
        throw new UpstreamError(`The upstream sent a stream event larger than ${maxEventChars} characters.`);
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

/** The largest event a stream may send (64 Mi characters: an image-generation event's base64 is a few MB). */
export const MAX_EVENT_CHARS = 64 * 1024 * 1024;

const COLON = 58;
const SPACE = 32;

/** The JSON payload of one SSE message, or an UpstreamError naming what arrived. */
export function parseSseJson(message: SseMessage): unknown {
  try {
    return JSON.parse(message.data);
  } catch {
    throw new UpstreamError(`The upstream sent a malformed stream event: ${message.data.slice(0, 200)}`);
  }
}
