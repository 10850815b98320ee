import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRedis, type TestRedis } from "../../../../tests/helpers/redis.ts";
import type { ResponseObject } from "../response-schema.ts";
import { outputItemId } from "../item-ids.ts";
import { RedisResponseStore } from "./redis-store.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A response id as the gateway makes them (24 hex digits after `resp_`), from a name: its items' ids name it. */
const rid = (name: string) => `resp_${Bun.SHA256.hash(name, "hex").slice(0, 24)}`;
const SHARED = rid("shared");
const ITEMS = rid("items");
const OWNED = rid("owned");
const item = (id: string) => ({ id: outputItemId("rs_", id, 0), type: "reasoning" as const, summary: [] });
const entry = (id: string) => ({
  response: { id, object: "response", output: [item(id)] } as unknown as ResponseObject,
  input: [{ id: "msg_1", type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "Hi" }] }],
  requestInput: "Again",
});

describe("RedisResponseStore (a real redis-server)", () => {
  test("putIfRunning replaces a running response only, in one step; a cancelled one only with a cancelled state", async () => {
    const store = new RedisResponseStore(redis.url, 60);
    const withStatus = (status: string) => {
      const e = entry("resp_cas");
      return { ...e, response: { ...e.response, status } as ResponseObject };
    };
    try {
      expect(await store.putIfRunning(withStatus("in_progress"))).toBe("missing");
      expect(await store.get("resp_cas")).toBeUndefined(); // a deleted response is not made again
      await store.put(withStatus("in_progress"));
      expect(await store.putIfRunning(withStatus("in_progress"))).toBe("written");
      expect(await store.putIfRunning(withStatus("cancelled"))).toBe("written");
      // A run that ends after a cancel elsewhere: its end does not replace the cancel, its own cancelled state does.
      expect(await store.putIfRunning(withStatus("completed"))).toBe("cancelled");
      expect(await store.putIfRunning(withStatus("cancelled"))).toBe("written");
      await store.put(withStatus("completed"));
      expect(await store.putIfRunning(withStatus("cancelled"))).toBe("completed");
      expect((await store.get("resp_cas"))?.response.status).toBe("completed");
      expect(Number(await redis.command(["TTL", "ollaix:responses:resp_cas"]))).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  test("round trip; a second client on the same Redis sees what the first stored", async () => {
    const a = new RedisResponseStore(redis.url, 60);
    const b = new RedisResponseStore(redis.url, 60);
    try {
      await a.put(entry(SHARED));
      expect(await b.get(SHARED)).toEqual(entry(SHARED));
      const none = outputItemId("rs_", rid("none"), 0);
      expect(await b.getItems([item(SHARED).id, none, "rs_x"], undefined)).toEqual([item(SHARED), undefined, undefined]);
      expect(await b.getItems([item(SHARED).id], "someone-else")).toEqual([undefined]);
      expect(await b.delete(SHARED)).toBe(true);
      expect(await a.get(SHARED)).toBeUndefined();
      expect(await a.getItems([item(SHARED).id], undefined)).toEqual([undefined]);
      expect(await a.delete(SHARED)).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  test("an item is found through its response, and shares its lifetime: one key per response", async () => {
    const store = new RedisResponseStore(redis.url, 60);
    try {
      await store.put(entry(ITEMS));
      await store.put({ ...entry(OWNED), owner: "team-a" });
      expect(await store.getItems([item(ITEMS).id, item(OWNED).id], undefined)).toEqual([item(ITEMS), undefined]);
      expect(await store.getItems([item(OWNED).id], "team-a")).toEqual([item(OWNED)]);
      expect(await redis.command(["EXISTS", `ollaix:responses:${ITEMS}`])).toBe(1);
      expect(await store.delete(ITEMS)).toBe(true);
      expect(await store.getItems([item(ITEMS).id], undefined)).toEqual([undefined]);
    } finally {
      store.close();
    }
  });

  test("values carry the TTL, so Redis expires them", async () => {
    const store = new RedisResponseStore(redis.url, 123);
    try {
      await store.put(entry("resp_ttl"));
      const ttl = Number(await redis.command(["TTL", "ollaix:responses:resp_ttl"]));
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(123);
    } finally {
      store.close();
    }
  });

  test("an expired value is gone", async () => {
    const store = new RedisResponseStore(redis.url, 1);
    try {
      await store.put(entry("resp_short"));
      await redis.command(["PEXPIRE", "ollaix:responses:resp_short", "1"]);
      await Bun.sleep(20);
      expect(await store.get("resp_short")).toBeUndefined();
    } finally {
      store.close();
    }
  });
});

/** A store, and another client of the same Redis that writes what the store finds there; both closed after `run`. */
async function withStoreAndClient(run: (store: RedisResponseStore, other: InstanceType<typeof Bun.RedisClient>) => Promise<void>): Promise<void> {
  const store = new RedisResponseStore(redis.url, 60);
  const other = new Bun.RedisClient(redis.url);
  try {
    await run(store, other);
  } finally {
    other.close();
    store.close();
  }
}

describe("ids of no response", () => {
  test("an id not of a response's form (events:<id>, another namespace's key) names nothing: never read as a key (a security probe: a 503 WRONGTYPE on a run's event set)", () =>
    withStoreAndClient(async (store, other) => {
      await other.send("ZADD", ["ollaix:responses:events:resp_someone", "0", "frame"]);
      expect(await store.get("events:resp_someone")).toBeUndefined();
      expect(await store.getMany(["events:resp_someone"])).toEqual([undefined]);
      expect(await store.delete("events:resp_someone")).toBe(false);
      expect(Number(await other.send("EXISTS", ["ollaix:responses:events:resp_someone"]))).toBe(1);
    }));
});

describe("RedisResponseStore when Redis refuses a command", () => {
  test("a reply error is the store's 503 naming Redis's reason, not 'unreachable'; the next command works", () =>
    withStoreAndClient(async (store, other) => {
      // A key of another type where a response would be: GET answers WRONGTYPE.
      await other.send("HSET", ["ollaix:responses:resp_wrongtype", "f", "v"]);
      const error = await store.get("resp_wrongtype").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ status: 503, code: "state_unavailable", message: "The response store (Redis) refused a command (WRONGTYPE)." });
      await store.put(entry("resp_after_refusal"));
      expect((await store.get("resp_after_refusal"))?.response.id).toBe("resp_after_refusal");
    }));
});

describe("RedisResponseStore while Redis is away", () => {
  test("fails at once with 503 state_unavailable, and works again when Redis is back", async () => {
    const own = await startRedis();
    const store = new RedisResponseStore(own.url, 60);
    try {
      await store.put(entry("resp_before"));
      await own.stop();
      const error = await store.get("resp_before").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ status: 503, code: "state_unavailable", message: "The response store (Redis) is unreachable." });
      await own.start();
      await store.put(entry("resp_after"));
      expect((await store.get("resp_after"))?.response.id).toBe("resp_after");
    } finally {
      store.close();
      await own.stop();
    }
  });
});
