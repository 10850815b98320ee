import { describe, expect, test } from "bun:test";
import { BatchStore } from "./batch-store.ts";

/** A batch as the server's thread makes one: each entry's id, a line break and its text in UTF-8, one after another, and where each ends. */
function batch(entries: [id: string, text: string][], size?: number): [ArrayBuffer, number[]] {
  const encoded = entries.map(([id, text]) => Buffer.from(`${id}\n${text}`, "utf8"));
  const total = encoded.reduce((sum, bytes) => sum + bytes.length, 0);
  const buffer = new ArrayBuffer(size ?? Math.max(total, 1));
  const view = new Uint8Array(buffer);
  const ends: number[] = [];
  let at = 0;
  for (const bytes of encoded) {
    view.set(bytes, at);
    ends.push((at += bytes.length));
  }
  return [buffer, ends];
}

describe("BatchStore (the memory store's worker side)", () => {
  test("entries read back as written, multi-byte and astral characters included; unknown ids are undefined", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 1 << 20 });
    expect(store.add(...batch([["resp_a", '{"a":"é✓𝄞"}'], ["resp_b", ""], ["resp_c", "{}"]]))).toEqual([]);
    expect(store.getJson("resp_a")).toBe('{"a":"é✓𝄞"}');
    expect(store.getJson("resp_b")).toBe("");
    expect(store.getJson("resp_c")).toBe("{}");
    expect(store.getJson("resp_nope")).toBeUndefined();
  });

  test("expire: what the TTL ended goes without a new batch (an idle gateway gives its memory back), and the server thread's buffers come back", () => {
    let now = 1_000_000;
    const store = new BatchStore({ ttlSeconds: 10, maxBytes: 1 << 20, now: () => now });
    const [full, ends] = batch([["resp_a", "x".repeat(993)]], 1000); // a full batch: kept as it came
    store.add(full, ends);
    store.add(...batch([["resp_b", "y"]], 64)); // a part-full one: copied into the worker's own tail
    const held = store.heldBytes;
    expect(held).toBeGreaterThan(1000);
    expect(store.expire()).toEqual([]); // nothing expired yet
    now += 10_001;
    const freed = store.expire();
    expect(freed).toEqual([full]);
    expect(store.heldBytes).toBe(0);
    expect(store.batchCount).toBe(0);
    expect(store.getJson("resp_a")).toBeUndefined();
  });

  test("retentionMs: undefined while only the TTL drops entries; once a bound drops a batch sooner, how long its newest entry was kept", () => {
    let now = 1_000_000;
    const store = new BatchStore({ ttlSeconds: 10, maxBytes: 1 << 20, maxEntries: 4, now: () => now });
    store.add(...batch([["resp_a", "1"], ["resp_b", "2"]]));
    now += 11_000; // past the TTL
    store.add(...batch([["resp_c", "3"], ["resp_d", "4"]]));
    expect(store.retentionMs()).toBeUndefined();
    now += 2_000;
    store.add(...batch([["resp_e", "5"], ["resp_f", "6"]]));
    now += 500;
    store.add(...batch([["resp_g", "7"], ["resp_h", "8"], ["resp_i", "9"]])); // past the 4-entry bound: c-d's batch goes, 2.5 s after it came
    expect(store.getJson("resp_d")).toBeUndefined();
    expect(store.getJson("resp_f")).toBe("6");
    expect(store.retentionMs()).toBe(2_500);
  });

  test("delete: true once, then the entry is gone; stored again, it is back", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 1 << 20 });
    store.add(...batch([["resp_a", "1"], ["resp_b", "2"]]));
    expect(store.remove("resp_a")).toBe(true);
    expect(store.remove("resp_a")).toBe(false);
    expect(store.getJson("resp_a")).toBeUndefined();
    expect(store.getJson("resp_b")).toBe("2");
    store.add(...batch([["resp_a", "3"]]));
    expect(store.getJson("resp_a")).toBe("3");
    expect(store.remove("resp_nope")).toBe(false);
  });

  test("an id stored again reads as its newest entry, in the same batch or a later one, and one delete removes every copy", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 1 << 20 });
    store.add(...batch([["resp_x", "old"], ["resp_x", "newer"]]));
    expect(store.getJson("resp_x")).toBe("newer");
    store.add(...batch([["resp_x", "newest"]]));
    expect(store.getJson("resp_x")).toBe("newest");
    expect(store.remove("resp_x")).toBe(true);
    expect(store.getJson("resp_x")).toBeUndefined();
  });

  test("entries expire after the TTL, counted from their batch's arrival; expired batches are handed back", () => {
    let now = 1_000_000;
    const store = new BatchStore({ ttlSeconds: 10, maxBytes: 1 << 20, now: () => now });
    const [first, ...rest] = batch([["resp_old", "o"]]);
    store.add(first, ...rest);
    now += 5_000;
    store.add(...batch([["resp_mid", "m"]]));
    now += 5_000; // resp_old is exactly 10 s old: gone
    expect(store.getJson("resp_old")).toBeUndefined();
    expect(store.getJson("resp_mid")).toBe("m");
    const freed = store.add(...batch([["resp_new", "n"]]));
    expect(freed).toEqual([first]);
    now += 6_000;
    expect(store.getJson("resp_mid")).toBeUndefined();
    expect(store.getJson("resp_new")).toBe("n");
  });

  test("beyond the count bound the oldest entries are gone at once, and a batch is handed back once all of it is", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 1 << 20, maxEntries: 3 });
    const [first, ...rest] = batch([["r1", "1"], ["r2", "2"]]);
    store.add(first, ...rest);
    expect(store.add(...batch([["r3", "3"], ["r4", "4"]]))).toEqual([]); // r1 is out, r2 still in: the batch stays
    expect(store.getJson("r1")).toBeUndefined();
    expect(store.getJson("r2")).toBe("2");
    expect(store.add(...batch([["r5", "5"]]))).toEqual([first]);
    expect(["r2", "r3", "r4", "r5"].map((id) => store.getJson(id))).toEqual([undefined, "3", "4", "5"]);
  });

  test("beyond the byte bound the oldest batches go, and their buffers come back", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 3 * 4096 });
    // Full batches (7/8 or more of their buffer used) are kept as they came.
    const buffers = [0, 1, 2, 3, 4].map((i) => batch([[`resp_${i}`, `${i}`.repeat(4000)]], 4096));
    const freed = buffers.flatMap(([buffer, ends]) => store.add(buffer, ends));
    expect(freed).toEqual([buffers[0]![0], buffers[1]![0]]);
    expect(store.heldBytes).toBe(3 * 4096);
    expect([0, 1, 2, 3, 4].map((i) => store.getJson(`resp_${i}`)?.length)).toEqual([undefined, undefined, 4000, 4000, 4000]);
  });

  test("part-full batches are copied into one tail and handed back at once: memory follows the bytes kept", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 8 << 20 }); // tails of 1 MiB
    for (let i = 0; i < 500; i++) {
      const [buffer, ends] = batch([[`resp_${i}`, `{"n":${i}}`]], 1 << 20); // what the flush timer sends at a few requests a second
      expect(store.add(buffer, ends)).toEqual([buffer]);
    }
    expect(store.batchCount).toBe(1);
    expect(store.heldBytes).toBe(1 << 20);
    expect([0, 250, 499].map((i) => store.getJson(`resp_${i}`))).toEqual(['{"n":0}', '{"n":250}', '{"n":499}']);
    // A full batch after them closes the tail; the next part-full one starts another, and order holds.
    const [full, fullEnds] = batch([["resp_x", "x".repeat(100)]]);
    expect(store.add(full, fullEnds)).toEqual([]);
    store.add(...batch([["resp_x", "again"]], 4096));
    expect(store.batchCount).toBe(3);
    expect(store.getJson("resp_x")).toBe("again");
  });

  test("a tail's entries expire from their own message's arrival", () => {
    let now = 0;
    const store = new BatchStore({ ttlSeconds: 10, maxBytes: 8 << 20, now: () => now });
    store.add(...batch([["resp_a", "a"]], 4096));
    now += 6_000;
    store.add(...batch([["resp_b", "b"]], 4096));
    expect(store.batchCount).toBe(1);
    now += 4_000; // resp_a is 10 s old, resp_b 4 s, in the same tail
    expect(store.getJson("resp_a")).toBeUndefined();
    expect(store.getJson("resp_b")).toBe("b");
    now += 6_000;
    expect(store.getJson("resp_b")).toBeUndefined();
    store.add(...batch([["resp_c", "c"]], 4096)); // the whole old tail is expired: dropped, and its buffer reused
    expect(store.batchCount).toBe(1);
    expect(store.getJson("resp_c")).toBe("c");
  });

  test("an empty batch is handed back at once", () => {
    const store = new BatchStore({ ttlSeconds: 60, maxBytes: 1 << 20 });
    const buffer = new ArrayBuffer(16);
    expect(store.add(buffer, [])).toEqual([buffer]);
    expect(store.heldBytes).toBe(0);
  });

  test("a store without a positive byte bound refuses to start", () => {
    expect(() => new BatchStore({ ttlSeconds: 60, maxBytes: -1 })).toThrow(/positive byte bound/);
  });

  test("against a model: random full and part-full batches, repeated ids, deletes, time, the count bound", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 20; round++) {
      let now = 0;
      const ttlMs = 1000 * (1 + random(5));
      const maxEntries = 1 + random(40);
      const store = new BatchStore({ ttlSeconds: ttlMs / 1000, maxBytes: 64 << 20, maxEntries, now: () => now });
      // The model: every entry ever added, with what makes it count. (The byte bound has its own tests.)
      const log: { id: string; text: string; seq: number; time: number }[] = [];
      const deleted = new Map<string, number>();
      let seq = 0;
      const expected = (id: string): string | undefined => {
        const newest = log.findLast((entry) => entry.id === id);
        if (!newest) return undefined;
        const gone =
          newest.time + ttlMs <= now || newest.seq < seq - maxEntries || newest.seq < (deleted.get(id) ?? -1);
        return gone ? undefined : newest.text;
      };
      for (let step = 0; step < 400; step++) {
        const op = random(10);
        if (op < 4) {
          const count = 1 + random(6);
          const entries: [string, string][] = Array.from({ length: count }, () => [`resp_${random(60)}`, `t${seq}-${"é".repeat(random(8))}`]);
          for (const [id, text] of entries) log.push({ id, text, seq: seq++, time: now });
          // Full (kept as it came) or part full (copied into the tail), at random.
          store.add(...batch(entries, random(2) === 0 ? undefined : 4096));
        } else if (op < 5) {
          const id = `resp_${random(60)}`;
          const live = expected(id) !== undefined;
          expect(store.remove(id)).toBe(live);
          if (live) deleted.set(id, seq);
        } else if (op < 6) {
          now += random(700);
        } else {
          const id = `resp_${random(60)}`;
          expect(store.getJson(id)).toBe(expected(id));
        }
      }
    }
  });
});
