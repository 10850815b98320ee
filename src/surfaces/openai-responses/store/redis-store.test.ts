import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRedis, type TestRedis } from "../../../../tests/helpers/redis.ts";
import type { ResponseObject } from "../response-schema.ts";
import { RedisResponseStore } from "./redis-store.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const entry = (id: string) => ({
  response: { id, object: "response", output: [{ id: `rs_${id}`, type: "reasoning", summary: [] }] } as unknown as ResponseObject,
  input: [{ id: "msg_1", type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "Hi" }] }],
});

describe("RedisResponseStore (a real redis-server)", () => {
  test("round trip; a second client on the same Redis sees what the first stored", async () => {
    const a = new RedisResponseStore(redis.url, 60);
    const b = new RedisResponseStore(redis.url, 60);
    try {
      await a.put(entry("resp_shared"));
      expect(await b.get("resp_shared")).toEqual(entry("resp_shared"));
      expect(await b.getItems(["rs_resp_shared", "rs_none"], undefined)).toEqual([{ id: "rs_resp_shared", type: "reasoning", summary: [] } as never, undefined]);
      expect(await b.delete("resp_shared")).toBe(true);
      expect(await a.get("resp_shared")).toBeUndefined();
      expect(await a.getItems(["rs_resp_shared"], undefined)).toEqual([undefined]);
      expect(await a.delete("resp_shared")).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  test("an output item's key is not a response's: `item:<id>` as a response id finds nothing", async () => {
    const store = new RedisResponseStore(redis.url, 60);
    try {
      await store.put(entry("resp_items"));
      expect(await store.getItems(["rs_resp_items"], undefined)).toHaveLength(1);
      expect(await store.get("item:rs_resp_items")).toBeUndefined();
      expect(await store.delete("item:rs_resp_items")).toBe(false);
      expect(await store.getItems(["rs_resp_items"], undefined)).toEqual([{ id: "rs_resp_items", type: "reasoning", summary: [] } as never]);
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
