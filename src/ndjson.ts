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
export async function* parseNdjsonBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const batch: unknown[] = [];
      let failure: UpstreamError | undefined;
      // Lines are cut from a cursor; the unfinished rest is kept once per read, not once per line.
      let pos = 0;
      let newline: number;
      while (failure === undefined && (newline = buffered.indexOf("\n", pos)) >= 0) {
        const line = buffered.slice(pos, newline).trim();
        pos = newline + 1;
        if (line) failure = pushLine(batch, line);
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

function pushLine(batch: unknown[], line: string): UpstreamError | undefined {
  try {
    batch.push(JSON.parse(line));
    return undefined;
  } catch {
    return new UpstreamError(`The upstream sent a malformed stream line: ${line.slice(0, 200)}`);
  }
}
