import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRedis, type TestRedis } from "../../../tests/helpers/redis.ts";
import type { InputItemResource } from "../openai-responses/response-schema.ts";
import { type ConversationStore, MemoryConversationStore } from "./conversation-store.ts";
import { RedisConversationStore } from "./redis-conversation-store.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const message = (id: string, text: string): InputItemResource => ({ id, type: "message", role: "user", status: "completed", content: [{ type: "input_text", text }] });
const record = (id: string, owner?: string) => ({ id, created_at: 1700000000, metadata: { a: "1" }, ...(owner ? { owner } : {}) });

/** The behaviour both stores share, run against each. */
function sharedBehaviour(name: string, make: () => ConversationStore) {
  describe(name, () => {
    test("create, get, items in order, append, delete an item, update, delete", async () => {
      const store = make();
      try {
        await store.create(record("conv_1", "team-a"), [message("m1", "one"), message("m2", "two")]);
        expect(await store.get("conv_1")).toEqual(record("conv_1", "team-a"));
        expect((await store.items("conv_1"))!.map((item) => item.id)).toEqual(["m1", "m2"]);
        expect(await store.append("conv_1", [message("m3", "three"), message("m4", "four é ✓")])).toEqual({ ok: true });
        expect((await store.items("conv_1"))!.map((item) => item.id)).toEqual(["m1", "m2", "m3", "m4"]);
        expect((await store.items("conv_1"))![3]).toEqual(message("m4", "four é ✓"));
        expect(await store.deleteItem("conv_1", "m2")).toBe(true);
        expect(await store.deleteItem("conv_1", "m2")).toBe(false);
        expect((await store.items("conv_1"))!.map((item) => item.id)).toEqual(["m1", "m3", "m4"]);
        expect(await store.update("conv_1", { b: "2" })).toEqual({ ...record("conv_1", "team-a"), metadata: { b: "2" } });
        expect((await store.get("conv_1"))!.metadata).toEqual({ b: "2" });
        expect(await store.delete("conv_1")).toBe(true);
        expect(await store.delete("conv_1")).toBe(false);
        expect(await store.get("conv_1")).toBeUndefined();
        expect(await store.items("conv_1")).toBeUndefined();
      } finally {
        store.close();
      }
    });

    test("a conversation that is not there: nothing to read, append, update or delete", async () => {
      const store = make();
      try {
        expect(await store.append("conv_none", [message("m1", "x")])).toEqual({ ok: false, reason: "missing" });
        expect(await store.update("conv_none", {})).toBeUndefined();
        expect(await store.deleteItem("conv_none", "m1")).toBe(false);
        expect(await store.items("conv_none")).toBeUndefined();
        // An append to a missing conversation does not create it.
        expect(await store.get("conv_none")).toBeUndefined();
      } finally {
        store.close();
      }
    });

    test("an empty conversation; an id it holds, or given twice, refuses the whole add; a deleted id may come again", async () => {
      const store = make();
      try {
        await store.create(record("conv_2"), []);
        expect(await store.items("conv_2")).toEqual([]);
        expect(await store.append("conv_2", [message("a", "a")])).toEqual({ ok: true });
        expect(await store.append("conv_2", [message("b", "b"), message("a", "again")])).toEqual({ ok: false, reason: "duplicate", id: "a" });
        expect(await store.append("conv_2", [message("c", "c"), message("c", "c2")])).toEqual({ ok: false, reason: "duplicate", id: "c" });
        expect((await store.items("conv_2"))!.map((item) => item.id)).toEqual(["a"]);
        expect(await store.deleteItem("conv_2", "a")).toBe(true);
        expect(await store.append("conv_2", [message("a", "back")])).toEqual({ ok: true });
        expect((await store.items("conv_2"))!.map((item) => (item.content as { text: string }[])[0]!.text)).toEqual(["back"]);
      } finally {
        store.close();
      }
    });

    test("a lock is held by one at a time, until released or lapsed", async () => {
      const store = make();
      try {
        const first = await store.lock("conv_l", 200);
        expect(first).toBeDefined();
        expect(await store.lock("conv_l", 200)).toBeUndefined();
        await first!.release();
        const second = await store.lock("conv_l", 50);
        expect(second).toBeDefined();
        await first!.release(); // the first holder's release does not free the second's lock
        expect(await store.lock("conv_l", 50)).toBeUndefined();
        await Bun.sleep(80);
        expect(await store.lock("conv_l", 50)).toBeDefined();
      } finally {
        store.close();
      }
    });

    test("at most MAX_CONVERSATION_ITEMS items: an add beyond is refused whole", async () => {
      const store = make();
      try {
        await store.create(record("conv_full"), []);
        const many = Array.from({ length: 9_999 }, (_, i) => message(`m${i}`, "x"));
        expect(await store.append("conv_full", many)).toEqual({ ok: true });
        expect(await store.append("conv_full", [message("y", "y"), message("z", "z")])).toEqual({ ok: false, reason: "full" });
        expect(await store.append("conv_full", [message("y", "y")])).toEqual({ ok: true });
        expect(await store.items("conv_full")).toHaveLength(10_000);
        // A delete at the far end of a full list is found by its id's prefix, not by decoding items.
        expect(await store.deleteItem("conv_full", "m9998")).toBe(true);
        expect((await store.items("conv_full"))!.at(-2)!.id).toBe("m9997");
      } finally {
        store.close();
      }
    });
  });
}

sharedBehaviour("MemoryConversationStore", () => new MemoryConversationStore({ ttlSeconds: 60, maxBytes: 64 << 20 }));
sharedBehaviour("RedisConversationStore (a real redis-server)", () => new RedisConversationStore(redis.url, 60));

describe("MemoryConversationStore's bounds", () => {
  test("expires a conversation its TTL after its last change; a change starts the TTL again", async () => {
    let now = 0;
    const store = new MemoryConversationStore({ ttlSeconds: 10, maxBytes: 1 << 20, now: () => now });
    await store.create(record("conv_t"), [message("m1", "x")]);
    now = 9_000;
    expect(await store.append("conv_t", [message("m2", "y")])).toEqual({ ok: true });
    now = 18_000;
    expect(await store.get("conv_t")).toBeDefined();
    now = 19_001;
    expect(await store.get("conv_t")).toBeUndefined();
  });

  test("over its byte budget the least recently changed go first; what is read out is a copy", async () => {
    const store = new MemoryConversationStore({ ttlSeconds: 60, maxBytes: 8_000 });
    await store.create(record("conv_a"), [message("a1", "x".repeat(200))]);
    await store.create(record("conv_b"), [message("b1", "y".repeat(200))]);
    await store.append("conv_a", [message("a2", "z")]); // conv_a is now the newest
    // Each under a quarter of the budget (a conversation holds no more), together over it.
    for (const id of ["conv_c", "conv_d", "conv_e", "conv_f"]) await store.create(record(id), [message(`${id}1`, "w".repeat(800))]);
    expect(await store.get("conv_b")).toBeUndefined();
    expect(await store.get("conv_a")).toBeDefined();
    expect(await store.get("conv_f")).toBeDefined();
    const items = (await store.items("conv_a"))!;
    items.push(message("x", "x"));
    expect(await store.items("conv_a")).toHaveLength(2);
  });
});

describe("RedisConversationStore's expiry", () => {
  test("both keys carry the TTL, set again by each change", async () => {
    const store = new RedisConversationStore(redis.url, 100);
    const client = new Bun.RedisClient(redis.url);
    try {
      await store.create(record("conv_ttl"), [message("m1", "x")]);
      await client.send("EXPIRE", ["ollaix:conversations:{conv_ttl}", "5"]);
      await store.append("conv_ttl", [message("m2", "y")]);
      for (const key of ["ollaix:conversations:{conv_ttl}", "ollaix:conversations:{conv_ttl}:items"]) {
        const ttl = Number(await client.send("TTL", [key]));
        expect(ttl).toBeGreaterThan(90);
        expect(ttl).toBeLessThanOrEqual(100);
      }
    } finally {
      client.close();
      store.close();
    }
  });
});

describe("MemoryConversationStore's bounds, against a client that fills it", () => {
  test("empty conversations count too: their number is bounded by the budget", async () => {
    const store = new MemoryConversationStore({ ttlSeconds: 60, maxBytes: 100_000 });
    for (let i = 0; i < 2_000; i++) await store.create(record(`conv_${i}`), []);
    let kept = 0;
    for (let i = 0; i < 2_000; i++) if (await store.get(`conv_${i}`)) kept++;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(200);
    expect(await store.get("conv_1999")).toBeDefined();
  });

  test("one conversation grows to a quarter of the budget at most, so others stay", async () => {
    const store = new MemoryConversationStore({ ttlSeconds: 60, maxBytes: 40_000 });
    await store.create(record("conv_other"), [message("o", "kept")]);
    await store.create(record("conv_big"), []);
    let refused = 0;
    for (let i = 0; i < 100; i++) if (!(await store.append("conv_big", [message(`b${i}`, "x".repeat(1_000))])).ok) refused++;
    expect(refused).toBeGreaterThan(80);
    expect(await store.get("conv_other")).toBeDefined();
  });

  test("a conversation created with items over a quarter of the budget is refused as a full one, and evicts nothing", async () => {
    const store = new MemoryConversationStore({ ttlSeconds: 60, maxBytes: 40_000 });
    await store.create(record("conv_other"), [message("o", "kept")]);
    const refused = await store.create(record("conv_big"), Array.from({ length: 8 }, (_, i) => message(`b${i}`, "x".repeat(2_000)))).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, code: "conversation_full", param: "items" });
    expect(await store.get("conv_big")).toBeUndefined();
    expect(await store.get("conv_other")).toBeDefined();
    await store.create(record("conv_fits"), [message("f", "x".repeat(5_000))]); // under a quarter: taken
    expect(await store.get("conv_fits")).toBeDefined();
  });

  test("expired conversations go as new ones come, unread", async () => {
    let now = 0;
    const store = new MemoryConversationStore({ ttlSeconds: 1, maxBytes: 1 << 20, now: () => now });
    await store.create(record("conv_old"), [message("m", "x".repeat(1_000))]);
    now = 2_000;
    await store.create(record("conv_new"), []);
    now = 0; // were it still held, reading at time 0 would find it
    expect(await store.get("conv_old")).toBeUndefined();
  });
});

describe("MemoryConversationStore: reading without copying", () => {
  test("view is the items as held (no copy of 10,000 items for a page), items the caller's own copy", async () => {
    const store = new MemoryConversationStore({ ttlSeconds: 600, maxBytes: 64 * 1024 * 1024 });
    try {
      await store.create(record("conv_v"), Array.from({ length: 10_000 }, (_, i) => message(`m${i}`, "x")));
      const view = await store.view("conv_v");
      expect(view).toHaveLength(10_000);
      expect(await store.view("conv_v")).toBe(view!); // the same array: nothing was copied
      const copy = (await store.items("conv_v"))!;
      expect(copy).not.toBe(view);
      copy[0]!.id = "changed";
      expect(view![0]!.id).toBe("m0");
      expect(await store.view("conv_none")).toBeUndefined();
    } finally {
      store.close();
    }
  });
});

describe("RedisConversationStore: a lock is a lease its holder renews", () => {
  test("held past its lease while its holder lives, freed within a lease once the holder is gone (a replica that died mid-turn), and never held past its time", async () => {
    const holder = new RedisConversationStore(redis.url, 600, undefined, 150);
    const other = new RedisConversationStore(redis.url, 600, undefined, 150);
    try {
      expect(await holder.lock("conv_lease", 60_000)).toBeDefined();
      await Bun.sleep(500); // three leases: renewed all along
      expect(await other.lock("conv_lease", 60_000)).toBeUndefined();
      expect(Number(await redis.command(["PTTL", "ollaix:conversations:{conv_lease}:lock"]))).toBeLessThanOrEqual(150);
      holder.close(); // its renewals stop, as a dead replica's do
      await Bun.sleep(250);
      const next = await other.lock("conv_lease", 60_000);
      expect(next).toBeDefined();
      await next!.release();

      const short = new RedisConversationStore(redis.url, 600, undefined, 150);
      try {
        expect(await short.lock("conv_short", 300)).toBeDefined(); // renewed, but for 300 ms at most
        await Bun.sleep(550);
        expect(await other.lock("conv_short", 300)).toBeDefined();
      } finally {
        short.close();
      }
    } finally {
      holder.close();
      other.close();
    }
  });
});
