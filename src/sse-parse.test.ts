import { describe, expect, test } from "bun:test";
import { parseSse, parseSseBatches, parseSseJson } from "./sse-parse.ts";

function body(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("parseSse", () => {
  test("LF, CRLF and CR line ends; events split across reads; comments and unknown fields ignored", async () => {
    const events = await collect(parseSse(body("data: one\n\n", ": keep-alive\r\n", "data: tw", "o\r\n\r\nid: 7\rdata: three\r\r")));
    expect(events).toEqual([
      { event: "message", data: "one" },
      { event: "message", data: "two" },
      { event: "message", data: "three" },
    ]);
  });

  test("multi-line data is joined with \\n; `event:` names the event; no space after the colon is fine", async () => {
    expect(await collect(parseSse(body("event: error\ndata:{\"a\":\ndata: 1}\n\n")))).toEqual([{ event: "error", data: '{"a":\n1}' }]);
  });

  test("a last event without its blank line is still delivered", async () => {
    expect(await collect(parseSse(body("data: [DONE]")))).toEqual([{ event: "message", data: "[DONE]" }]);
  });

  test("batches: the events one read completed", async () => {
    expect(await collect(parseSseBatches(body("data: 1\n\ndata: 2\n\ndata: 3", "\n\n")))).toEqual([
      [
        { event: "message", data: "1" },
        { event: "message", data: "2" },
      ],
      [{ event: "message", data: "3" }],
    ]);
  });

  test("parseSseJson: JSON, or an UpstreamError quoting the event", () => {
    expect(parseSseJson({ event: "message", data: '{"x":1}' })).toEqual({ x: 1 });
    expect(() => parseSseJson({ event: "message", data: "nope" })).toThrow("The upstream sent a malformed stream event: nope");
  });
});
