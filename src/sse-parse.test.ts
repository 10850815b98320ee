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

/** A stream of raw byte pieces (a cut may fall inside a CRLF or a multi-byte character). */
function bytes(...pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

describe("parseSse", () => {
  test("random events, line ends, comments and cuts: exactly the events sent (seeded)", async () => {
    let seed = 20261129;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const values = ["", "x", " leading space", "{\"a\":1}", "naïve 日本 🎉", "a:b:c", "  two", "[DONE]"];
    for (let round = 0; round < 200; round++) {
      const expected: { event: string; data: string }[] = [];
      let text = "";
      // One line end per stream: a CR end followed by an LF end would read as one CRLF.
      const ending = pick(["\n", "\r\n", "\r"]);
      const eol = () => ending;
      for (let e = 0; e < 1 + Math.floor(random() * 6); e++) {
        if (random() < 0.3) text += `: a comment${eol()}`;
        const type = random() < 0.4 ? pick(["delta", "done", "message"]) : "";
        if (type) text += `event: ${type}${eol()}`;
        if (random() < 0.2) text += `id: 7${eol()}retry${eol()}`;
        const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(values));
        const got: string[] = [];
        for (const line of lines) {
          // After the colon one space is dropped, if there is one.
          if (random() < 0.5) text += `data: ${line}${eol()}`;
          else text += `data:${line}${eol()}`;
          got.push(text.endsWith(`data: ${line}${eol()}`) || !line.startsWith(" ") ? line : line.slice(1));
        }
        text += eol();
        expected.push({ event: type || "message", data: got.join("\n") });
      }
      const all = new TextEncoder().encode(text);
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < all.length; ) {
        const size = 1 + Math.floor(random() * 12);
        pieces.push(all.subarray(at, at + size));
        at += size;
      }
      expect(await collect(parseSse(bytes(...pieces)))).toEqual(expected);
    }
  });

  test("one large read of many events (an unpaced upstream) is read whole", async () => {
    const events = Array.from({ length: 20_000 }, (_, i) => `data: {"i":${i}}\n\n`).join("");
    const messages = await collect(parseSse(body(events)));
    expect(messages).toHaveLength(20_000);
    expect(messages[19_999]).toEqual({ event: "message", data: '{"i":19999}' });
  });

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

  test("batches: a read of comments only is an empty batch (the upstream is alive); a read of half an event is none (a probe)", async () => {
    expect(await collect(parseSseBatches(body("data: 1\n\n", ": OPENROUTER PROCESSING\n\n", ": ping\n", "data: 2", "\n\n")))).toEqual([
      [{ event: "message", data: "1" }],
      [],
      [],
      [{ event: "message", data: "2" }],
    ]);
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

describe("an event without an end in sight (a security probe: 400 MiB without a line end took 1.2 GB and 88 s)", () => {
  test("past the limit the stream fails with an UpstreamError; events before it were given; events split across reads still parse", async () => {
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const batch of parseSseBatches(body("data: one\n\n", "data: ", "x".repeat(600), "y".repeat(600), "z".repeat(600)), 1_000)) {
        for (const message of batch) seen.push(message.data);
      }
    })().catch((error: unknown) => error);
    expect(seen).toEqual(["one"]);
    expect(failure).toMatchObject({ status: 502, code: "upstream_error" });
    expect(String((failure as Error).message)).toContain("larger than 1000 characters");
    // Many data lines of one event count too.
    const lines = await (async () => {
      for await (const _ of parseSseBatches(body(...Array.from({ length: 20 }, () => `data: ${"d".repeat(100)}\n`)), 1_000));
    })().catch((error: unknown) => error);
    expect(lines).toMatchObject({ code: "upstream_error" });
    // Within the limit, an event split over many reads, with a CRLF split between two, is whole.
    const split: string[] = [];
    for await (const batch of parseSseBatches(body("data: a", "b", "c\r", "\n\r\n", "data: d\n\n"), 1_000)) for (const m of batch) split.push(m.data);
    expect(split).toEqual(["abc", "d"]);
  });
});
