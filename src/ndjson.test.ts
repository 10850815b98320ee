import { describe, expect, test } from "bun:test";
import { parseNdjson, parseNdjsonBatches } from "./ndjson.ts";

/** A body delivered in exactly these byte pieces, one per read. */
function body(...pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(typeof next === "string" ? encoder.encode(next) : next);
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("parseNdjson", () => {
  test("lines split across reads, blank lines, a last line without a newline", async () => {
    expect(await collect(parseNdjson(body('{"a":', '1}\n\n{"b":2}\n{"c"', ":3}")))).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  test("a multi-byte character split between two reads stays whole", async () => {
    const bytes = new TextEncoder().encode('{"t":"é😀"}\n');
    expect(await collect(parseNdjson(body(bytes.slice(0, 8), bytes.slice(8))))).toEqual([{ t: "é😀" }]);
  });

  test("a malformed line is an UpstreamError after the lines before it", async () => {
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const line of parseNdjson(body('{"ok":1}\n{oops}\n{"never":1}\n'))) seen.push(line);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ ok: 1 }]);
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream sent a malformed stream line: {oops}" });
  });

  test("batches: one array per read", async () => {
    expect(await collect(parseNdjsonBatches(body('{"a":1}\n{"b":2}\n', '{"c":3}\n')))).toEqual([[{ a: 1 }, { b: 2 }], [{ c: 3 }]]);
  });

  test("stopping early cancels the body", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('{"x":1}\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of parseNdjson(stream)) break;
    expect(cancelled).toBe(true);
  });
});

describe("a line without an end in sight (a security probe)", () => {
  test("past the limit the stream fails with an UpstreamError, after the lines before it", async () => {
    const seen: unknown[] = [];
    const failure = await (async () => {
      for await (const batch of parseNdjsonBatches(body('{"a":1}\n', '{"b":"', "x".repeat(600), "y".repeat(600)), 1_000)) seen.push(...batch);
    })().catch((error: unknown) => error);
    expect(seen).toEqual([{ a: 1 }]);
    expect(failure).toMatchObject({ code: "upstream_error" });
    expect(String((failure as Error).message)).toContain("longer than 1000 characters");
    // A line split over many reads within the limit is whole.
    expect(await collect(parseNdjsonBatches(body('{"c":', '"', "z".repeat(300), '"}', "\n"), 1_000))).toEqual([[{ c: "z".repeat(300) }]]);
  });
});
