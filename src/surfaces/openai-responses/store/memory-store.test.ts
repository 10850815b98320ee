import { describe, expect, test } from "bun:test";
import type { ResponseObject } from "../response-schema.ts";
import { MemoryResponseStore } from "./memory-store.ts";

const entry = (id: string) => ({ response: { id } as ResponseObject, input: [] });

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

  test("beyond the count bound the oldest go first", async () => {
    const store = new MemoryResponseStore(60, 3);
    for (const id of ["r1", "r2", "r3", "r4", "r5"]) await store.put(entry(id));
    expect(store.size).toBe(3);
    expect(await store.get("r1")).toBeUndefined();
    expect(await store.get("r2")).toBeUndefined();
    expect((await store.get("r5"))?.response.id).toBe("r5");
  });
});
