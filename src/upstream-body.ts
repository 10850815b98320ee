import { UpstreamError } from "./errors.ts";

/**
 * The largest answer read whole from an upstream (256 MiB: a large embeddings batch is tens of MB
 * of JSON). A stream's events have their own cap (sse-parse.ts, ndjson.ts).
 */
export const MAX_UPSTREAM_BODY_BYTES = 256 * 1024 * 1024;

/** What of an error answer is read (its message is all the gateway uses). */
export const MAX_UPSTREAM_ERROR_BYTES = 1024 * 1024;

/**
 * An upstream's answer as text, read only up to `maxBytes`: past it the read stops (the connection
 * is let go) and an UpstreamError says so, or, with `truncate`, the text so far is the answer (an
 * error body, whose start is its message). A misbehaving upstream cannot fill the gateway's memory.
 * An answer that declares its length (and is not compressed, which could inflate past it) is read
 * at once: fetch holds it to that length.
 */
export async function readUpstreamText(response: Response, maxBytes = MAX_UPSTREAM_BODY_BYTES, truncate = false): Promise<string> {
  const headers = response.headers;
  const declared = headers.get("content-length");
  // A chunked answer's length is its chunks' whatever it declares (HTTP: chunked wins), as fetch reads it.
  if (declared !== null && !headers.has("content-encoding") && !headers.has("transfer-encoding")) {
    if (Number(declared) <= maxBytes) return response.text();
    if (!truncate) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
  }
  const body = response.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (!truncate) throw tooLarge(maxBytes);
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  // A character cut at the end of a truncated text decodes as U+FFFD, not an error.
  return UTF8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
}

/** One decoder for every answer: `decode` without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder();

const tooLarge = (maxBytes: number) =>
  new UpstreamError(`The upstream's answer is larger than the ${Math.round(maxBytes / (1024 * 1024))} MiB the gateway reads.`);
