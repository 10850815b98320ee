import { describe, expect, test } from "bun:test";
import { createSseParser, readSse, type SseEvent } from "./sse-parser.ts";

const parseAll = (pieces: string[]) => {
  const events: SseEvent[] = [];
  const push = createSseParser((e) => events.push(e));
  for (const p of pieces) push(p);
  return events;
};

describe("createSseParser", () => {
  test("named and unnamed events, multi-line data, comments and ids ignored", () => {
    expect(parseAll([": keep-alive\n\nevent: tick\nid: 3\ndata: {\"a\":1}\n\ndata: one\ndata: two\n\n"])).toEqual([
      { event: "tick", data: '{"a":1}' },
      { event: undefined, data: "one\ntwo" },
    ]);
  });

  test("events split at every byte boundary come out whole", () => {
    const text = "event: requests\ndata: [1,2]\n\ndata: [DONE]\n\n";
    expect(parseAll(text.split(""))).toEqual([
      { event: "requests", data: "[1,2]" },
      { event: undefined, data: "[DONE]" },
    ]);
  });

  test("CRLF and CR line endings, CRLF split across pieces", () => {
    expect(parseAll(["data: a\r", "\n\r\ndata: b\r\r"])).toEqual([{ event: undefined, data: "a" }]); // a final CR waits for its LF
    expect(parseAll(["data: a\r", "\n\r\ndata: b\r\r", "data: c\n\n"])).toEqual([
      { event: undefined, data: "a" },
      { event: undefined, data: "b" },
      { event: undefined, data: "c" },
    ]);
  });

  test("a field without a space after the colon, and an event without data, which is not dispatched", () => {
    expect(parseAll(["event: ping\n\ndata:x\n\n"])).toEqual([{ event: undefined, data: "x" }]);
  });
});

test("readSse decodes a multi-byte character split across network reads", async () => {
  const bytes = new TextEncoder().encode("data: héllo\n\n");
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.slice(0, 8)); // splits the two bytes of "é"
      c.enqueue(bytes.slice(8));
      c.close();
    },
  });
  const events: SseEvent[] = [];
  await readSse(body, (e) => events.push(e));
  expect(events).toEqual([{ event: undefined, data: "héllo" }]);
});
