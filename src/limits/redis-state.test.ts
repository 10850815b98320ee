import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort } from "../../tests/helpers/process.ts";
import { startRedis, type TestRedis } from "../../tests/helpers/redis.ts";
import { createLogger } from "../logger.ts";
import { RedisState } from "./redis-state.ts";
import { InProcessState } from "./limit-state.ts";

const logged = (): { lines: string[]; logger: ReturnType<typeof createLogger> } => {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: "info", write: (line) => void lines.push(line) }) };
};

describe("against a real redis-server", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  test("after a restart that lost the scripts, EVAL loads them again", async () => {
    const { logger } = logged();
    const state = new RedisState(redis.url, "open", logger);
    await state.start();
    await redis.command(["SCRIPT", "FLUSH"]);
    expect((await state.admit("r", { rpm: 3 }, Date.now())).verdict).toBe("ok");
    expect((await state.admit("r", { rpm: 3 }, Date.now())).requests).toBe(2);
    state.close();
  });

  test("a Redis that hangs then runs what was queued: an admission the gateway stopped waiting for counts nothing (a probe: it was counted, and refused requests used up the limit)", async () => {
    const { logger } = logged();
    const state = new RedisState(redis.url, "closed", logger, 300);
    await state.start();
    expect((await state.admit("late", { rpm: 5 }, Date.now())).requests).toBe(1);
    redis.pause();
    try {
      await expect(state.admit("late", { rpm: 5 }, Date.now())).rejects.toMatchObject({ code: "state_unavailable" });
      await Bun.sleep(1_600); // past its deadline: REDIS_TIMEOUT_MS (300) + the 1 s allowed between clocks
    } finally {
      redis.resume();
    }
    // The probe (every 500 ms) finds Redis again; the command queued in the frozen Redis has run by then.
    for (let i = 0; i < 200 && state.health().status !== "ok"; i++) await Bun.sleep(50);
    expect((await state.usage("late", Date.now())).requests).toBe(1);
    expect((await state.admit("late", { rpm: 5 }, Date.now())).requests).toBe(2);
    state.close();
  }, 15_000);

  test("a Redis clock ahead of this host's (every deadline past by Redis's time): admissions still count, and it is said once", async () => {
    const { lines, logger } = logged();
    const state = new RedisState(redis.url, "open", logger);
    await state.start();
    const realNow = Date.now;
    Date.now = () => realNow() - 60_000; // this host a minute behind
    try {
      expect((await state.admit("skew", { rpm: 5 }, realNow())).requests).toBe(1);
      expect((await state.admit("skew", { rpm: 5 }, realNow())).requests).toBe(2);
    } finally {
      Date.now = realNow;
    }
    expect(lines.filter((line) => line.includes("clock is ahead"))).toHaveLength(1);
    state.close();
  });

  test("one command per admission (the script by its SHA), and the token update adds to minute and day", async () => {
    const { logger } = logged();
    const state = new RedisState(redis.url, "open", logger);
    await state.start();
    await redis.command(["CONFIG", "RESETSTAT"]);
    const now = Date.now();
    for (let i = 0; i < 5; i++) expect((await state.admit("k", { rpm: 3 }, now)).verdict).toBe(i < 3 ? "ok" : "rpm");
    const stats = String(await redis.command(["INFO", "commandstats"]));
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    // The scripts were loaded on connect: every admission is one EVALSHA.
    expect(calls("evalsha")).toBe(5);
    expect(calls("eval")).toBe(0);
    state.addTokens("k", 40, now);
    state.addTokens("k", 2, now);
    // Sent without waiting, on purpose; one connection keeps the order, so the next admission sees them.
    const counted = await state.admit("k", { tpm: 100 }, now);
    expect(counted).toMatchObject({ minuteTokens: 42, dayTokens: 42 });
    state.close();
  });
});

describe("token counts (lane \"count\") against a real redis-server and in process", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  for (const where of ["redis", "in process"] as const) {
    test(`${where}: counts have their own requests counter at the key's rpm and no token limit; model calls keep theirs`, async () => {
      const { logger } = logged();
      const redisState = new RedisState(redis.url, "open", logger);
      if (where === "redis") await redisState.start();
      const state = where === "redis" ? redisState : new InProcessState();
      const now = Date.now();
      const limits = { rpm: 2, tpm: 10 };
      state.addTokens("c", 50, now); // tpm spent
      for (let i = 0; i < 3; i++) await Bun.sleep(0);
      const counts = [];
      for (let i = 0; i < 3; i++) counts.push(await state.admit("c", limits, now, "count"));
      expect(counts.map((c) => [c.verdict, c.requests])).toEqual([["ok", 1], ["ok", 2], ["rpm", 2]]);
      expect(counts[0]!.minuteTokens).toBe(50); // read, for the headers
      // The model calls' own counter is untouched: still refused only by the spent tpm.
      expect(await state.admit("c", limits, now)).toMatchObject({ verdict: "tpm", requests: 0 });
      expect(await state.admit("c", { rpm: 2 }, now)).toMatchObject({ verdict: "ok", requests: 1 });
      redisState.close();
    });
  }
});

describe("Redis unreachable", () => {
  test("open: counts in this process, warns once, reports degraded", async () => {
    const { lines, logger } = logged();
    const state = new RedisState(`redis://127.0.0.1:${freePort()}`, "open", logger);
    await state.start(500);
    const now = Date.now();
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push((await state.admit("k", { rpm: 2 }, now)).verdict);
    expect(verdicts).toEqual(["ok", "ok", "rpm", "rpm"]);
    expect(state.health()).toMatchObject({ status: "degraded" });
    expect(lines.filter((l) => l.includes("Redis unreachable")).length).toBe(1);
    state.close();
  });

  test("closed: 503 state_unavailable", async () => {
    const { logger } = logged();
    const state = new RedisState(`redis://127.0.0.1:${freePort()}`, "closed", logger);
    await state.start(500);
    const refused = await Promise.resolve(state.admit("k", { rpm: 2 }, Date.now())).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 503, code: "state_unavailable" });
    state.close();
  });
});
