import { UpstreamError } from "./errors.ts";

/**
 * Newline-delimited JSON from a byte stream: decodes in streaming mode (a character split across
 * reads stays whole), carries the partial last line over, and reports a malformed line as an
 * UpstreamError instead of skipping it. Releases the reader when the consumer stops early.
 */
export async function* parseNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield parseLine(line);
      }
      if (done) break;
    }
    const rest = buffered.trim();
    if (rest) yield parseLine(rest);
  } finally {
    reader.releaseLock();
    // Stopping early (client gone) must also stop the upstream body.
    await body.cancel().catch(() => undefined);
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new UpstreamError(`The upstream sent a malformed stream line: ${line.slice(0, 200)}`);
  }
}
