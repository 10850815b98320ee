import { describe, expect, test } from "bun:test";
import type { ResponseObject } from "../response-schema.ts";
import { MemoryResponseStore } from "./memory-store.ts";

const entry = (id: string, itemIds: string[] = []) => ({
  response: { id, output: itemIds.map((itemId) => ({ id: itemId, type: "reasoning", summary: [] })) } as unknown as ResponseObject,
  input: [],
});

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
    const store = new MemoryResponseStore(10, 100, () => now);
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
    const store = new MemoryResponseStore(60, 1);
    await store.put(entry("r1", ["rs_1", "rs_2"]));
    expect((await store.getItems(["rs_2", "rs_x", "rs_1"], undefined)).map((item) => item?.id)).toEqual(["rs_2", undefined, "rs_1"]);
    await store.put(entry("r2", ["rs_3"])); // evicts r1 (count bound 1)
    expect((await store.getItems(["rs_1", "rs_3"], undefined)).map((item) => item?.id)).toEqual([undefined, "rs_3"]);
    await store.delete("r2");
    expect(await store.getItems(["rs_3"], undefined)).toEqual([undefined]);
  });

  test("beyond the count bound the oldest go first", async () => {
    const store = new MemoryResponseStore(60, 3);
    for (const id of ["r1", "r2", "r3", "r4", "r5"]) await store.put(entry(id));
    expect(store.size).toBe(3);
    expect(await store.get("r1")).toBeUndefined();
    expect(await store.get("r2")).toBeUndefined();
    expect((await store.get("r5"))?.response.id).toBe("r5");
  });
});
