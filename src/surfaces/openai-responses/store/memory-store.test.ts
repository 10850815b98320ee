import { describe, expect, test } from "bun:test";
import type { ResponseObject } from "../response-schema.ts";
import { outputItemId } from "../item-ids.ts";
import { assertStorableId, MemoryResponseStore } from "./memory-store.ts";

/** A response with `items` reasoning items, with ids as the route makes them. */
const entry = (id: string, items = 0) => ({
  response: {
    id,
    output: Array.from({ length: items }, (_, i) => ({ id: outputItemId("rs_", id, i), type: "reasoning", summary: [] })),
  } as unknown as ResponseObject,
  input: [],
});
const rs = (responseId: string, index: number) => outputItemId("rs_", responseId, index);

describe("MemoryResponseStore", () => {
  test("get, put, delete", async () => {
    const store = new MemoryResponseStore(60);
    await store.put(entry("resp_a"));
    expect((await store.get("resp_a"))?.response.id).toBe("resp_a");
    expect(await store.get("resp_b")).toBeUndefined();
    expect(await store.delete("resp_a")).toBe(true);
    expect(await store.delete("resp_a")).toBe(false);
    expect(await store.get("resp_a")).toBeUndefined();
  });

  test("entries expire after the TTL, and expired ones are evicted on the next put", async () => {
    let now = 1_000_000;
    const store = new MemoryResponseStore(10, { maxEntries: 100, now: () => now });
    await store.put(entry("resp_old"));
    now += 5_000;
    await store.put(entry("resp_mid"));
    now += 5_000; // resp_old is exactly 10 s old: gone
    expect(await store.get("resp_old")).toBeUndefined();
    expect((await store.get("resp_mid"))?.response.id).toBe("resp_mid");
    now += 6_000;
    await store.put(entry("resp_new"));
    expect(store.size).toBe(1);
  });

  test("output items are found by id while their response is kept", async () => {
    const store = new MemoryResponseStore(60, { maxEntries: 1 });
    await store.put(entry("resp_1", 2));
    const ids = [rs("resp_1", 1), rs("resp_1", 2), "rs_x", "msg_nothing_here", rs("resp_1", 0)];
    expect((await store.getItems(ids, undefined)).map((item) => item?.id)).toEqual([rs("resp_1", 1), undefined, undefined, undefined, rs("resp_1", 0)]);
    expect(await store.getItems([rs("resp_1", 0)], "another-key")).toEqual([undefined]);
    await store.put(entry("resp_2", 1)); // evicts resp_1 (count bound 1)
    expect((await store.getItems([rs("resp_1", 0), rs("resp_2", 0)], undefined)).map((item) => item?.id)).toEqual([undefined, rs("resp_2", 0)]);
    await store.delete("resp_2");
    expect(await store.getItems([rs("resp_2", 0)], undefined)).toEqual([undefined]);
  });

  test("beyond the count bound the oldest go first", async () => {
    const store = new MemoryResponseStore(60, { maxEntries: 3 });
    for (const id of ["r1", "r2", "r3", "r4", "r5"]) await store.put(entry(id));
    expect(store.size).toBe(3);
    expect(await store.get("r1")).toBeUndefined();
    expect(await store.get("r2")).toBeUndefined();
    expect((await store.get("r5"))?.response.id).toBe("r5");
  });
});

describe("MemoryResponseStore's byte ring", () => {
  const sized = (id: string, text: string) => ({
    response: {
      id,
      output: [{ id: outputItemId("msg_", id, 0), type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] }],
    } as unknown as ResponseObject,
    input: [{ id: `in_${id}`, type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "héllo 👋" }] }] as never[],
  });

  test("keeps text exactly, multi-byte and astral characters included, with the JSON the route passed", async () => {
    const store = new MemoryResponseStore(60);
    const value = sized("resp_u", "naïve 日本語 🎉 \u2028 \"quoted\" \\ end");
    await store.put(value, JSON.stringify(value.response));
    expect(await store.get("resp_u")).toEqual(value);
    const owned = { ...sized("resp_o", "x"), owner: "team-a" };
    await store.put(owned);
    expect(await store.get("resp_o")).toEqual(owned);
  });

  test("grows on demand up to the byte bound, then the oldest go first to make room", async () => {
    const store = new MemoryResponseStore(60, { maxBytes: 8_000, initialBytes: 1_024 });
    const text = "y".repeat(900); // ~1.1 KB per entry
    for (let i = 0; i < 40; i++) await store.put(sized(`resp_${i}`, text));
    expect(store.ringBytes).toBe(8_000);
    // Each put makes room for its worst case (3 bytes per character): ~1.1 KB entries, ~3.3 KB of room.
    expect(store.size).toBeGreaterThanOrEqual(4);
    expect(store.size).toBeLessThanOrEqual(7);
    // The newest are all there and intact; everything older than the oldest kept is gone.
    const kept = [];
    for (let i = 0; i < 40; i++) if (await store.get(`resp_${i}`)) kept.push(i);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 40 - kept.length + k));
    expect(await store.get("resp_39")).toEqual(sized("resp_39", text));
    // An evicted response's items are gone with it.
    const items = await store.getItems([outputItemId("msg_", "resp_0", 0), outputItemId("msg_", "resp_39", 0)], undefined);
    expect(items).toEqual([undefined, sized("resp_39", text).response.output[0] as never]);
  });

  test("an entry larger than the whole bound is refused, and the store goes on working", async () => {
    const store = new MemoryResponseStore(60, { maxBytes: 4_000 });
    await store.put(sized("small", "a"));
    await expect(store.put(sized("huge", "z".repeat(5_000)))).rejects.toThrow(/more than the memory store holds/);
    expect(await store.get("huge")).toBeUndefined();
    expect((await store.get("small"))?.response.id).toBe("small");
  });

  /**
   * Random puts, re-puts and deletes of random sizes, checked against a model after every put: an
   * entry read back is exactly the last one put under its id (never torn or overwritten), the newest
   * is always there, and what is gone is strictly older than what is kept.
   */
  const againstModel = async (bounds: { maxBytes: number; maxEntries: number; initialBytes: number }, seed: number, largest: number) => {
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const store = new MemoryResponseStore(60, bounds);
    const model = new Map<string, { order: number; text: string }>();
    let order = 0;
    for (let step = 0; step < 2_000; step++) {
      const id = `resp_${Math.floor(random() * 40)}`;
      if (random() < 0.15) {
        await store.delete(id);
        model.delete(id);
        continue;
      }
      // 1, 2 or 3 bytes per character: a put may use all of the room it sets aside.
      const text = ["a", "é", "日"][Math.floor(random() * 3)]!.repeat(Math.floor(random() * largest));
      await store.put(sized(id, text));
      model.set(id, { order: order++, text });
      const present: number[] = [];
      const absent: number[] = [];
      for (const [key, expected] of model) {
        const got = await store.get(key);
        if (got === undefined) absent.push(expected.order);
        else {
          expect(got).toEqual(sized(key, expected.text));
          present.push(expected.order);
        }
      }
      expect(present.length).toBeLessThanOrEqual(bounds.maxEntries);
      expect(present).toContain(order - 1);
      if (absent.length > 0 && present.length > 0) expect(Math.max(...absent)).toBeLessThan(Math.min(...present));
      expect(store.ringBytes).toBeLessThanOrEqual(bounds.maxBytes);
    }
    return store;
  };

  test("against a model, at the byte bound (evicting for bytes)", async () => {
    await againstModel({ maxBytes: 20_000, maxEntries: 15, initialBytes: 20_000 }, 12345, 2_500);
  });

  test("against a model, while the ring grows (moving the previous lap) and wraps early", async () => {
    for (const seed of [1, 2, 3]) await againstModel({ maxBytes: 200_000, maxEntries: 12, initialBytes: 1_000 }, seed, 3_000);
    // No count bound in reach: the front moves only as re-put and deleted ids leave it, and the ring
    // must grow while a previous lap lies ahead of the write position.
    for (const seed of [4, 5]) await againstModel({ maxBytes: 1 << 20, maxEntries: 1_000, initialBytes: 1_000 }, seed, 3_000);
  });

  test("the ring stays about the size of what it keeps: 10 live entries of ~1 KB never need more than 32 KB", async () => {
    const store = new MemoryResponseStore(60, { maxEntries: 10, maxBytes: 64 << 20, initialBytes: 1024 });
    for (let i = 0; i < 2_000; i++) await store.put(sized(`resp_${i}`, "b".repeat(800 + (i % 7) * 50)));
    expect(store.size).toBe(10);
    expect(store.ringBytes).toBeLessThanOrEqual(32 * 1024);
    for (let i = 1_990; i < 2_000; i++) expect((await store.get(`resp_${i}`))?.response.id).toBe(`resp_${i}`);
  });

  test("nothing is evicted for bytes below the byte bound: the ring grows instead", async () => {
    const store = new MemoryResponseStore(60, { maxEntries: 1_000, maxBytes: 1 << 20, initialBytes: 1024 });
    for (let i = 0; i < 300; i++) await store.put(sized(`resp_${i}`, "c".repeat(100 + (i % 13) * 40)));
    expect(store.size).toBe(300);
    for (let i = 0; i < 300; i++) expect((await store.get(`resp_${i}`))?.response.id).toBe(`resp_${i}`);
  });
});

describe("assertStorableId (ids are kept as one byte per character)", () => {
  test("printable ASCII passes, from ! to ~", () => {
    for (const id of ["resp_0123456789abcdef", "!", "~", "a!~z"]) expect(() => assertStorableId(id)).not.toThrow();
  });

  test("an empty id, a space, a control character or anything beyond ASCII is refused", () => {
    for (const id of ["", "resp a", "resp_\t", "resp_\x7f", "resp_é", "resp_✓"]) {
      expect(() => assertStorableId(id)).toThrow(/printable ASCII/);
    }
  });
});
