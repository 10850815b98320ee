import { UpstreamError } from "./errors.ts";

/**
 * Newline-delimited JSON from a byte stream: decodes in streaming mode (a character split across
 * reads stays whole), carries the partial last line over, and reports a malformed line as an
 * UpstreamError instead of skipping it. Releases the reader when the consumer stops early.
 */
export async function* parseNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const batch of parseNdjsonBatches(body)) yield* batch;
}

/**
 * The same, one array per network read: every line that one read completed (an async step per
 * read, not per line). A malformed line ends the stream with an UpstreamError after the lines
 * before it were yielded.
 */
export async function* parseNdjsonBatches(body: ReadableStream<Uint8Array>, maxLineChars = MAX_LINE_CHARS): AsyncGenerator<unknown[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      // What was kept from the last read holds no line end: the search starts after it (a long line costs its length once).
      const kept = buffered.length;
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const batch: unknown[] = [];
      let failure: UpstreamError | undefined;
      // Lines are cut from a cursor; the unfinished rest is kept once per read, not once per line.
      let pos = 0;
      let newline = buffered.indexOf("\n", kept);
      while (failure === undefined && newline >= 0) {
        const line = buffered.slice(pos, newline).trim();
        pos = newline + 1;
        if (line) failure = pushLine(batch, line);
        newline = buffered.indexOf("\n", pos);
      }
      // A line without an end in sight: a broken or hostile upstream would grow this buffer without bound.
      if (failure === undefined && buffered.length - pos > maxLineChars) {
        failure = new UpstreamError(`The upstream sent a stream line longer than ${maxLineChars} characters.`);
      }
      buffered = pos === 0 ? buffered : buffered.slice(pos);
      if (done && failure === undefined) {
        const rest = buffered.trim();
        buffered = "";
        if (rest) failure = pushLine(batch, rest);
      }
      if (batch.length > 0) yield batch;
      if (failure) throw failure;
      if (done) break;
    }
  } finally {
    reader.releaseLock();
    // Stopping early (client gone) must also stop the upstream body.
    await body.cancel().catch(() => undefined);
  }
}

/** The longest line a stream may send (64 Mi characters). */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

function pushLine(batch: unknown[], line: string): UpstreamError | undefined {
  try {
    batch.push(JSON.parse(line));
    return undefined;
  } catch {
    return new UpstreamError(`The upstream sent a malformed stream line: ${line.slice(0, 200)}`);
  }
}
