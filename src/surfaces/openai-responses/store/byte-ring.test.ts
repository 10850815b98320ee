import { describe, expect, test } from "bun:test";
import { createRing, RingReader, RingWriter } from "./byte-ring.ts";

const decoder = new TextDecoder();
const taken = (reader: RingReader): [string, string][] => {
  const out: [string, string][] = [];
  reader.drain((id, text) => out.push([id, decoder.decode(text.slice())]));
  return out;
};
/** Room as the store reserves it: the worst case, 3 bytes per UTF-16 unit. */
const room = (parts: string[]) => parts.reduce((n, p) => n + p.length * 3, 0);

describe("byte ring (entries from the server's thread to the store's worker)", () => {
  test("records come out in order, id and UTF-8 text intact; the space is freed once read", () => {
    const memory = createRing(256);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    const a = writer.write("resp_a", ['{"x":', '"héllo ✓"', "}"], room(['{"x":', '"héllo ✓"', "}"]));
    const b = writer.write("resp_b", ["[]"], room(["[]"]));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(writer.text(a)).toBe('{"x":"héllo ✓"}');
    expect(writer.text(b)).toBe("[]");
    expect(writer.isRead(a)).toBe(false);
    expect(taken(reader)).toEqual([
      ["resp_a", '{"x":"héllo ✓"}'],
      ["resp_b", "[]"],
    ]);
    expect(writer.isRead(a)).toBe(true);
    expect(writer.isRead(b)).toBe(true);
    expect(taken(reader)).toEqual([]);
  });

  test("a full ring refuses a record, writing nothing; once read, it takes it", () => {
    const memory = createRing(256);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    const text = "✓".repeat(30); // 3 bytes each: records of 8 + 6 + 90 = 104 bytes, two fit in 256
    expect(writer.write("resp_1", [text], room([text]))).toBeGreaterThanOrEqual(0);
    expect(writer.write("resp_2", [text], room([text]))).toBeGreaterThanOrEqual(0);
    expect(writer.write("resp_3", [text], room([text]))).toBe(-1);
    expect(taken(reader).map(([id]) => id)).toEqual(["resp_1", "resp_2"]);
    expect(writer.write("resp_3", [text], room([text]))).toBeGreaterThanOrEqual(0);
    expect(taken(reader)).toEqual([["resp_3", text]]);
  });

  test("a record larger than half the ring is refused even when the ring is empty", () => {
    const writer = new RingWriter(createRing(256));
    expect(writer.largest).toBe(128);
    const text = "b".repeat(40); // 8 + 6 + 120 > 128
    expect(writer.write("resp_b", [text], room([text]))).toBe(-1);
  });

  test("records never wrap: over thousands of laps, every record comes out whole and in order", () => {
    const memory = createRing(1024);
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    const out: string[] = [];
    let next = 0;
    for (let round = 0; round < 5000; round++) {
      // 1 to 4 records of varied sizes a round, so the wrap point moves around.
      for (let k = 0; k <= round % 4; k++) {
        const text = `${next}:` + "é".repeat((next * 7) % 60);
        if (writer.write(`resp_${next}`, [text], room([text])) < 0) break;
        next++;
      }
      reader.drain((id, bytes) => out.push(`${id}=${decoder.decode(bytes.slice())}`));
    }
    expect(out.length).toBe(next);
    expect(next).toBeGreaterThan(10_000);
    out.forEach((line, i) => expect(line).toBe(`resp_${i}=${i}:` + "é".repeat((i * 7) % 60)));
  });

  test("positions past 2^32 bytes keep working (they count modulo 2^32)", () => {
    const memory = createRing(1024);
    // As if 2^32 - 100 bytes had gone through already.
    const control = new Int32Array(memory.control);
    control[0] = (2 ** 32 - 100) | 0;
    control[1] = (2 ** 32 - 100) | 0;
    const writer = new RingWriter(memory);
    const reader = new RingReader(memory);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const start = writer.write(`resp_${i}`, ["x".repeat(20)], 60);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(writer.isRead(start)).toBe(false);
      expect(writer.text(start)).toBe("x".repeat(20));
      reader.drain((id) => ids.push(id));
      expect(writer.isRead(start)).toBe(true);
    }
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `resp_${i}`));
  });

  test("another thread reads what this one writes", async () => {
    const memory = createRing(4096);
    const writer = new RingWriter(memory);
    const source = `
      import { RingReader } from ${JSON.stringify(new URL("./byte-ring.ts", import.meta.url).href)};
      const decoder = new TextDecoder();
      self.onmessage = ({ data }) => {
        const reader = new RingReader(data);
        const seen = [];
        const poll = () => {
          reader.drain((id, text) => seen.push(id + "=" + decoder.decode(text.slice())));
          if (seen.length >= 200) self.postMessage(seen); else setTimeout(poll, 1);
        };
        poll();
      };`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/typescript" })));
    try {
      const seen = new Promise<string[]>((resolve) => (worker.onmessage = ({ data }) => resolve(data)));
      worker.postMessage(memory);
      for (let i = 0; i < 200; ) {
        if (writer.write(`resp_${i}`, [`"${i}✓"`], 30) >= 0) i++;
        else await Bun.sleep(1);
      }
      expect(await seen).toEqual(Array.from({ length: 200 }, (_, i) => `resp_${i}="${i}✓"`));
    } finally {
      worker.terminate();
    }
  });
});
