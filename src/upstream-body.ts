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

/**
 * `fetch` whose answers' bodies stop at `maxBytes`: for a client package that reads an answer whole
 * itself (ollama-js, Google's SDK), as `readUpstreamText` does for the gateway's own reads. An
 * answer that declares a larger length is refused before its body is read; one that does not
 * (chunked, compressed) is counted as it is read, and past the bound its read fails with the
 * UpstreamError and the connection is let go. One that declares a length within it is passed as it
 * came (nothing more per answer than a header read).
 */
export function boundedFetch(base: typeof fetch, maxBytes = MAX_UPSTREAM_BODY_BYTES): typeof fetch {
  const bounded = (input: string | URL | Request, init?: RequestInit) => base(input, init).then((response) => boundedResponse(response, maxBytes));
  return bounded as typeof fetch;
}

function boundedResponse(response: Response, maxBytes: number): Response {
  const body = response.body;
  if (body === null) return response;
  const headers = response.headers;
  const declared = headers.get("content-length");
  if (declared !== null && !headers.has("content-encoding") && !headers.has("transfer-encoding")) {
    if (Number(declared) <= maxBytes) return response;
    void body.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  let size = 0;
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) controller.error(tooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, { status: response.status, statusText: response.statusText, headers });
}
