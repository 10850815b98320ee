import { describe, expect, test } from "bun:test";
import { UpstreamUnavailableError } from "../../../errors.ts";
import { outputItemId } from "../item-ids.ts";
import type { ResponseObject } from "../response-schema.ts";
import type { StoredResponse } from "./response-store.ts";
import { BATCH_BYTES } from "./batch-store.ts";
import { WorkerResponseStore, entryTexts } from "./worker-store.ts";

/** A response id as the gateway makes them (24 hex digits after `resp_`), from a name: its items' ids name it. */
const rid = (name: string) => `resp_${Bun.SHA256.hash(name, "hex").slice(0, 24)}`;

/** The bytes an entry takes in the memory store: its id line, its two texts and the line break between them. */
const entryBytes = (entry: StoredResponse): number => entryTexts(entry).reduce((bytes, text) => bytes + Buffer.byteLength(text), Buffer.byteLength(entry.response.id) + 2);

/** A response with `items` message items, with ids as the route makes them, and `pad` characters of text. */
const entry = (id: string, { items = 0, pad = 0, owner }: { items?: number; pad?: number; owner?: string } = {}) => ({
  response: {
    id,
    output: Array.from({ length: items }, (_, i) => ({ id: outputItemId("msg_", id, i), type: "message", text: "é".repeat(pad) })),
  } as unknown as ResponseObject,
  input: [{ id: `msg_in_${id}`, type: "message", role: "user", content: [{ type: "input_text", text: "héllo ✓" }] }] as never[],
  ...(owner === undefined ? {} : { owner }),
});

const stores: WorkerResponseStore[] = [];
const open = (...args: ConstructorParameters<typeof WorkerResponseStore>) => {
  const store = new WorkerResponseStore(...args);
  stores.push(store);
  return store;
};
process.on("beforeExit", () => stores.forEach((s) => s.close()));

describe("WorkerResponseStore (the memory store in a worker thread)", () => {
  test("an entry reads back at once, and the same once the worker holds it; unknown ids are undefined", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    // With the request's input as sent (made into items when read), beside the items before it.
    const value = { ...entry("resp_a", { items: 2, owner: "team-a" }), requestInput: [{ role: "user" as const, content: "más ✓" }] };
    await store.put(value);
    expect(await store.get("resp_a")).toEqual(value);
    await store.settled();
    expect(await store.get("resp_a")).toEqual(value);
    expect(await store.get("resp_nope")).toBeUndefined();
    store.close();
  });

  test("the response's JSON, when given, is what is kept", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    const value = entry("resp_j");
    await store.put(value, JSON.stringify({ ...value.response, note: "as sent" }));
    await store.settled();
    expect(((await store.get("resp_j"))?.response as unknown as { note: string }).note).toBe("as sent");
    store.close();
  });

  test("every part of an entry reads back whole: line breaks and separators in its texts, the request's input as sent, the owner", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    const tricky = "line one\nline two\r\n\u2028\u2029 {\"a\":1}\n";
    const value = {
      response: { id: "resp_nl", output: [{ id: "msg_x", type: "message", text: tricky }] } as unknown as ResponseObject,
      input: [{ id: "msg_before", type: "message", role: "user", content: [{ type: "input_text", text: tricky }] }] as never[],
      requestInput: tricky,
      owner: "team\na",
    };
    await store.put(value);
    expect(await store.get("resp_nl")).toEqual(value); // from the batch not yet sent
    await store.settled();
    expect(await store.get("resp_nl")).toEqual(value); // from the worker
    store.close();
  });

  test("delete: an entry not yet sent and one the worker holds; deleting twice finds nothing", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    await store.put(entry("resp_sent"));
    await store.settled();
    await store.put(entry("resp_unsent"));
    expect(await store.delete("resp_unsent")).toBe(true);
    expect(await store.delete("resp_sent")).toBe(true);
    expect(await store.delete("resp_sent")).toBe(false);
    expect(await store.get("resp_unsent")).toBeUndefined();
    expect(await store.get("resp_sent")).toBeUndefined();
    store.close();
  });

  test("output items are found through their response, for its owner only", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    await store.put(entry(rid("i"), { items: 2, owner: "team-a" }));
    await store.settled();
    const ids = [outputItemId("msg_", rid("i"), 1), outputItemId("msg_", rid("i"), 7), "msg_unknown"];
    const mine = await store.getItems(ids, "team-a");
    expect(mine.map((item) => item?.id)).toEqual([ids[0], undefined, undefined]);
    expect((await store.getItems(ids, "team-b")).every((item) => item === undefined)).toBe(true);
    store.close();
  });

  test("items of several responses, some sent to the worker and some not yet, in the order asked", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    await store.put(entry(rid("sent"), { items: 2, owner: "k" }));
    await store.settled();
    await store.put(entry(rid("unsent"), { items: 1, owner: "k" }));
    const ids = [
      outputItemId("msg_", rid("unsent"), 0),
      outputItemId("msg_", rid("sent"), 1),
      outputItemId("msg_", rid("gone"), 0),
      outputItemId("msg_", rid("sent"), 0),
    ];
    expect((await store.getItems(ids, "k")).map((item) => item?.id)).toEqual([ids[0], ids[1], undefined, ids[3]]);
    store.close();
  });

  test("more than one batch buffer of entries at once: every entry is kept, in order", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 8 << 20 });
    const n = Math.ceil((2 * BATCH_BYTES) / 2400); // ~2.5 KB of UTF-8 each: two batch buffers' worth
    for (let i = 0; i < n; i++) await store.put(entry(`resp_${i}`, { items: 1, pad: 1200 }));
    await store.settled();
    for (const i of [0, 1, 150, n - 1]) expect((await store.get(`resp_${i}`))?.response.id).toBe(`resp_${i}`);
    store.close();
  });

  test("batches filled faster than the worker copies its slots out take buffers of their own: every entry is kept, in order", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 512 << 10 }); // batches of 64 KiB
    // ~2 KB entries, six batches' worth put in well under a millisecond: the worker, still starting, has copied no slot out yet.
    const n = 6 * 30;
    for (let i = 0; i < n; i++) void store.put(entry(`resp_${i}`, { items: 1, pad: 1000 }));
    expect(store.batchesSent).toBeGreaterThanOrEqual(5);
    expect(store.batchesSentInOwnBuffers).toBeGreaterThan(0);
    expect(store.batchesSentInOwnBuffers).toBeLessThan(store.batchesSent);
    await store.settled();
    const kept = await store.getMany(Array.from({ length: n }, (_, i) => `resp_${i}`));
    expect(kept.map((value) => value?.response.id)).toEqual(Array.from({ length: n }, (_, i) => `resp_${i}`));
    expect((kept[n - 1]!.response.output[0] as unknown as { text: string }).text).toBe("é".repeat(1000));
    // The slots are free again: more batches go through them.
    const own = store.batchesSentInOwnBuffers;
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 30; j++) await store.put(entry(`resp_more_${i}_${j}`, { items: 1, pad: 1000 }));
      await store.settled();
    }
    expect(store.batchesSentInOwnBuffers).toBe(own);
    expect((await store.get("resp_more_19_29"))?.response.id).toBe("resp_more_19_29");
    store.close();
  });

  test("a batch is filled to its end: entries are measured once their worst case no longer fits", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 8 << 20 });
    // Entries of 10,000 bytes, nearly all ASCII: by the worst case (3 bytes a character) a buffer would take ~35 of them.
    const ascii = (id: string, pad: number) => ({ ...entry(id, { items: 1 }), requestInput: "a".repeat(pad) });
    const pad = 10_000 - entryBytes(ascii("resp_0000", 0));
    expect(entryBytes(ascii("resp_0000", pad))).toBe(10_000);
    const perBatch = Math.floor(BATCH_BYTES / 10_000); // 104
    for (let i = 0; i < perBatch; i++) await store.put(ascii(`resp_${String(i).padStart(4, "0")}`, pad));
    expect(store.batchesSent).toBe(0); // all in the first buffer
    // Two-byte characters: the next entry is measured, does not fit, and starts the second batch.
    await store.put({ ...entry("resp_wide", { items: 1 }), requestInput: "é".repeat(pad) });
    expect(store.batchesSent).toBe(1);
    // The last entry of the full batch and the unsent one read back whole, before and after the worker has them.
    const last = `resp_${String(perBatch - 1).padStart(4, "0")}`;
    expect((await store.get(last))?.requestInput).toBe("a".repeat(pad));
    expect((await store.get("resp_wide"))?.requestInput).toBe("é".repeat(pad));
    await store.settled();
    expect(store.batchesSent).toBe(2);
    for (const id of ["resp_0000", last]) expect((await store.get(id))?.requestInput).toBe("a".repeat(pad));
    expect((await store.get("resp_wide"))?.requestInput).toBe("é".repeat(pad));
    store.close();
  });

  test("a batch holds at most one entry per 64 bytes of its buffer: tiny entries past that start the next batch, and every one is kept", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 32 << 10 }); // batches of 4 KiB: 64 entries each
    const tiny = (i: number) => ({ response: { id: `r${i}` } as unknown as ResponseObject, input: [] });
    expect(entryBytes(tiny(199))).toBeLessThan(32); // 4 KiB would take more than 128 of them
    for (let i = 0; i < 200; i++) await store.put(tiny(i));
    expect(store.batchesSent).toBe(3);
    await store.settled();
    const kept = await store.getMany(Array.from({ length: 200 }, (_, i) => `r${i}`));
    expect(kept.map((value) => value?.response.id)).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
    store.close();
  });

  test("entries sent one batch at a time (a few requests a second) are kept compactly: the byte bound counts their bytes, not the batch buffers", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 8 << 20 }); // batch buffers of 1 MiB: eight fill the bound
    for (let i = 0; i < 40; i++) {
      await store.put(entry(`resp_${i}`, { items: 1, pad: 100 }));
      await store.settled(); // what the flush timer does between requests that come slowly
    }
    expect(store.batchesSent).toBe(40);
    const kept = await Promise.all(Array.from({ length: 40 }, (_, i) => store.get(`resp_${i}`)));
    expect(kept.map((value) => value?.response.id)).toEqual(Array.from({ length: 40 }, (_, i) => `resp_${i}`));
    store.close();
  });

  test("an entry larger than one batch buffer goes on its own, at once (not kept in the server thread's heap until the timer)", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 8 * BATCH_BYTES });
    await store.put(entry("resp_small"));
    const pad = BATCH_BYTES / 2 + 1000; // 2 bytes each in UTF-8
    await store.put(entry("resp_big", { items: 1, pad }));
    expect(store.batchesSent).toBe(2); // the small entry's batch, then the big one's own
    await store.settled();
    expect(((await store.get("resp_big"))?.response.output[0] as unknown as { text: string }).text.length).toBe(pad);
    expect((await store.get("resp_small"))?.response.id).toBe("resp_small");
    store.close();
  });

  test("the byte bound holds in the worker: the oldest entries go first", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 64 << 10 });
    for (let i = 0; i < 100; i++) await store.put(entry(`resp_${i}`, { items: 1, pad: 1000 }));
    await store.settled();
    expect(await store.get("resp_0")).toBeUndefined();
    expect((await store.get("resp_99"))?.response.id).toBe("resp_99");
    store.close();
  });

  test("an entry larger than the whole store is refused, and nothing is kept", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 64 << 10 });
    await expect(store.put(entry("resp_huge", { items: 1, pad: 40_000 }))).rejects.toThrow(/more than the response store holds/);
    await store.settled();
    expect(await store.get("resp_huge")).toBeUndefined();
    store.close();
  });

  test("the byte bound counts the id too: an entry that fits with it is kept, one byte more is refused", async () => {
    const maxBytes = 4096;
    const store = open({ ttlSeconds: 60, maxBytes });
    const sized = (id: string, bytes: number) => {
      const value = { response: { id, output: [], text: "" } as unknown as ResponseObject, input: [] };
      const text = "a".repeat(bytes - entryBytes(value));
      return { response: { id, output: [], text } as unknown as ResponseObject, input: [] };
    };
    await store.put(sized("resp_fits", maxBytes));
    await expect(store.put(sized("resp_over", maxBytes + 1))).rejects.toThrow(/more than the response store holds/);
    await store.settled();
    expect(((await store.get("resp_fits"))?.response as unknown as { text: string }).text.length).toBeGreaterThan(3000);
    expect(await store.get("resp_over")).toBeUndefined();
    store.close();
  });

  test("entries expire after the TTL", async () => {
    const store = open({ ttlSeconds: 0.05, maxBytes: 1 << 20 });
    await store.put(entry("resp_t"));
    await store.settled();
    await Bun.sleep(120);
    expect(await store.get("resp_t")).toBeUndefined();
    store.close();
  });

  test("a worker that stops fails what waits on it with 503 state_unavailable, says why, and the next use starts another", async () => {
    const errors: string[] = [];
    // A negative byte bound makes the worker's own store throw as it starts.
    const broken = open({ ttlSeconds: 60, maxBytes: -1 }, (message) => errors.push(message));
    const failure = await broken.get("resp_x").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UpstreamUnavailableError);
    expect((failure as UpstreamUnavailableError).code).toBe("state_unavailable");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain("worker stopped");
    const before = errors.length;
    await expect(broken.get("resp_y")).rejects.toBeInstanceOf(UpstreamUnavailableError); // a new worker, which stops the same way
    expect(errors.length).toBeGreaterThan(before);
    broken.close();
  });

  test("after close, reads and writes fail instead of starting a worker", async () => {
    const store = open({ ttlSeconds: 60, maxBytes: 1 << 20 });
    await store.put(entry("resp_c"));
    store.close();
    await expect(store.get("resp_other")).rejects.toThrow(/closed/);
    await expect(store.put(entry("resp_d"))).rejects.toThrow(/closed/);
  });
});
