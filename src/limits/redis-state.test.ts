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

  test("a Redis that hangs then runs what was queued: an admission the gateway stopped waiting for counts nothing, however soon after it Redis comes back (a probe: resumed 0.4 s after REDIS_TIMEOUT_MS, 8 refused requests used up 8 of the key's 10)", async () => {
    const { logger } = logged();
    const state = new RedisState(redis.url, "closed", logger, 300);
    await state.start();
    const limits = { rpm: 10 };
    const now = Date.now(); // one minute's window throughout, wherever in the minute the test runs
    redis.pause();
    try {
      const refused = await Promise.all(Array.from({ length: 8 }, () => Promise.resolve(state.admit("late", limits, now)).catch((error: unknown) => error)));
      expect(refused).toEqual(Array.from({ length: 8 }, () => expect.objectContaining({ code: "state_unavailable" })));
      await Bun.sleep(400); // past the gateway's 300 ms, well within the 1 s it once allowed between clocks
    } finally {
      redis.resume();
    }
    // The probe (every 500 ms) finds Redis again; the commands queued in the frozen Redis have run by then.
    for (let i = 0; i < 200 && state.health().status !== "ok"; i++) await Bun.sleep(50);
    expect(state.health().status).toBe("ok");
    expect((await state.usage("late", now)).requests).toBe(0);
    const verdicts = [];
    for (let i = 0; i < 11; i++) verdicts.push((await state.admit("late", limits, now)).verdict);
    expect(verdicts).toEqual([...Array.from({ length: 10 }, () => "ok"), "rpm"]);
    state.close();
  }, 15_000);

  test("clocks that disagree: the deadline is sent in Redis's clock, as measured. A Redis clock a minute ahead of this host's: each admission is one command that counts, nothing is warned, and one run late still counts nothing", async () => {
    const { lines, logger } = logged();
    const realNow = Date.now;
    const now = realNow();
    Date.now = () => realNow() - 60_000; // this host a minute behind Redis, from the start
    const state = new RedisState(redis.url, "closed", logger, 300);
    try {
      await state.start();
      await redis.command(["CONFIG", "RESETSTAT"]);
      expect((await state.admit("skew", { rpm: 5 }, now)).requests).toBe(1);
      expect((await state.admit("skew", { rpm: 5 }, now)).requests).toBe(2);
      // One command each: not refused as late, then asked again without a deadline (as before).
      expect(String(await redis.command(["INFO", "commandstats"]))).toContain("cmdstat_evalsha:calls=2,");
      redis.pause();
      try {
        await expect(state.admit("skew", { rpm: 5 }, now)).rejects.toMatchObject({ code: "state_unavailable" });
        await Bun.sleep(400);
      } finally {
        redis.resume();
      }
      for (let i = 0; i < 200 && state.health().status !== "ok"; i++) await Bun.sleep(50);
      expect((await state.usage("skew", now)).requests).toBe(2);
      expect((await state.admit("skew", { rpm: 5 }, now)).requests).toBe(3);
    } finally {
      Date.now = realNow;
      state.close();
    }
    expect(lines.filter((line) => line.includes("level\":\"warn") && !line.includes("Redis unreachable"))).toEqual([]);
  }, 15_000);

  test("a clock that steps after it was read: the one admission that finds out goes as if Redis were away (here counted in this replica) and is not counted in Redis; its answer reads the clock again, and the next ones count", async () => {
    const { lines, logger } = logged();
    const state = new RedisState(redis.url, "open", logger, 300);
    await state.start();
    const realNow = Date.now;
    Date.now = () => realNow() - 60_000; // this host's clock stepped a minute back
    try {
      const now = realNow();
      expect(await state.admit("step", { rpm: 5 }, now)).toMatchObject({ verdict: "ok", requests: 1 }); // this replica's count
      expect((await state.usage("step", now)).requests).toBe(0); // none in Redis
      expect((await state.admit("step", { rpm: 5 }, now)).requests).toBe(1);
      expect((await state.admit("step", { rpm: 5 }, now)).requests).toBe(2);
      expect((await state.usage("step", now)).requests).toBe(2);
    } finally {
      Date.now = realNow;
    }
    expect(state.health().status).toBe("ok"); // Redis answered all along
    expect(lines.filter((line) => line.includes("only after the gateway's REDIS_TIMEOUT_MS"))).toHaveLength(1);
    state.close();
  });

  test("an ACL that refuses TIME: Redis's clock cannot be read, so admissions go without a deadline, counted in Redis (said once); they all failed in its script before", async () => {
    await redis.command(["ACL", "SETUSER", "no-time", "on", ">secret-pw", "~*", "&*", "+@all", "-time"]);
    const { lines, logger } = logged();
    const state = new RedisState(redis.url.replace("redis://", "redis://no-time:secret-pw@"), "closed", logger, 300);
    try {
      await state.start();
      expect(state.health().status).toBe("ok");
      expect((await state.admit("no-time", { rpm: 5 }, Date.now())).requests).toBe(1);
      expect((await state.admit("no-time", { rpm: 5 }, Date.now())).requests).toBe(2);
      expect(state.health().status).toBe("ok");
      expect(lines.filter((line) => line.includes("Redis refused TIME"))).toHaveLength(1);
      expect(lines.join("\n")).not.toContain("secret-pw");
    } finally {
      state.close();
      await redis.command(["ACL", "DELUSER", "no-time"]);
    }
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

describe("a command Redis refuses (a reply error) is that command's: Redis is not taken for away", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
    await redis.command(["ACL", "SETUSER", "limits", "on", ">limits-secret-pw", "~*", "&*", "+@all"]);
  });
  afterAll(() => redis.stop());
  const url = () => redis.url.replace("redis://", "redis://limits:limits-secret-pw@");

  test("tokens Redis cannot add (a probe: an upstream's 1e19 made INCRBY fail, and closed mode refused every limited request with 503 for the probe's 0.5 s): logged without the URL, /health stays ok, every key is still counted in Redis", async () => {
    const { lines, logger } = logged();
    const state = new RedisState(url(), "closed", logger, 300);
    await state.start();
    const now = Date.now();
    state.addTokens("huge", 1e19, now); // not an integer INCRBY takes (above 2^63)
    for (let i = 0; i < 100 && !lines.some((line) => /Redis (refused a limits command|unreachable)/.test(line)); i++) await Bun.sleep(10);
    expect(state.health()).toEqual({ status: "ok" });
    const warned = lines.filter((line) => line.includes("Redis refused a limits command (tokens)"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain("not an integer or out of range");
    expect(lines.join("\n")).not.toContain("limits-secret-pw");
    expect(lines.filter((line) => line.includes("Redis unreachable"))).toEqual([]);
    expect(state.health()).toEqual({ status: "ok" });
    expect(await state.admit("huge", { rpm: 5, tpm: 100 }, now)).toMatchObject({ verdict: "ok", requests: 1, minuteTokens: 0 });
    expect(await state.admit("other", { rpm: 5 }, now)).toMatchObject({ verdict: "ok", requests: 1 });
    expect((await state.usage("other", now)).requests).toBe(1); // in Redis, not this replica's counters
    state.close();
  });

  test("an admission Redis refuses (its counter a key of another type): that request alone is refused with 503 (closed) or counted here (open); the other keys are counted in Redis", async () => {
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    await redis.command(["RPUSH", `ollaix:{key:broken}:rpm:${minute}`, "not a counter"]);
    for (const mode of ["closed", "open"] as const) {
      const { lines, logger } = logged();
      const state = new RedisState(url(), mode, logger, 300);
      await state.start();
      const broken = await Promise.resolve(state.admit("broken", { rpm: 5 }, now)).catch((error: unknown) => error);
      if (mode === "closed") expect(broken).toMatchObject({ status: 503, code: "state_unavailable" });
      else expect(broken).toMatchObject({ verdict: "ok", requests: 1 });
      expect(state.health()).toEqual({ status: "ok" });
      expect((await state.admit(`fine-${mode}`, { rpm: 5 }, now)).requests).toBe(1);
      expect((await state.usage(`fine-${mode}`, now)).requests).toBe(1);
      expect(lines.filter((line) => line.includes("Redis refused a limits command (admission)"))).toHaveLength(1);
      expect(lines.join("\n")).toContain("WRONGTYPE");
      state.close();
    }
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

  test("a Redis that refuses the connection is known at once: start-up does not wait out its time limit (a probe)", async () => {
    const { lines, logger } = logged();
    const state = new RedisState(`redis://127.0.0.1:${freePort()}`, "open", logger, 60_000);
    // Would wait the whole minute (and fail this test's 10 s) if the refusal were not heard.
    await state.start();
    expect(state.health()).toMatchObject({ status: "degraded" });
    expect(lines.filter((l) => l.includes("Redis unreachable")).length).toBe(1);
    state.close();
  }, 10_000);

  test("closed: 503 state_unavailable", async () => {
    const { logger } = logged();
    const state = new RedisState(`redis://127.0.0.1:${freePort()}`, "closed", logger);
    await state.start(500);
    const refused = await Promise.resolve(state.admit("k", { rpm: 2 }, Date.now())).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 503, code: "state_unavailable" });
    state.close();
  });
});
