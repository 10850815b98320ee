import { test, expect } from "bun:test";
import { startRedis } from "./helpers/redis.ts";
test("redis helper", async () => {
  const r = await startRedis();
  expect(await r.command(["SET", "a", "1"])).toBe("OK");
  expect(await r.command(["GET", "a"])).toBe("1");
  await r.stop();
});
