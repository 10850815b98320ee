import { describe, expect, test } from "bun:test";
import { createLogger } from "../logger.ts";
import { MAX_DISCOVERY_BACKOFF_MS, ModelRegistry, nextDiscoveryDelay } from "../registry.ts";
import type { Provider } from "../plugin.ts";
import { RepeatLimiter, SUMMARY_EVERY_MS } from "./repeat-limiter.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => void lines.push(JSON.parse(line)) });
  let now = 1_000_000;
  return { lines, logger, clock: { now: () => now, advance: (ms: number) => void (now += ms) } };
}

describe("RepeatLimiter", () => {
  test("the first warning at once, repeats only as a summary every 10 minutes, the end at info", () => {
    const { lines, logger, clock } = capture();
    const limiter = new RepeatLimiter(logger, clock.now);
    for (let i = 0; i < 21; i++) {
      limiter.warn("discovery:ollama", "model discovery failed", "connection refused", { provider: "ollama" });
      clock.advance(30_000); // every 30 s, as Ollama's discovery
    }
    // 21 tries, one every 30 s: the first line, then one summary when 10 minutes had passed.
    expect(lines.map((l) => [l.level, l.msg, l.repeated])).toEqual([
      ["warn", "model discovery failed", undefined],
      ["warn", "model discovery failed", 20],
    ]);
    expect(lines[1]).toMatchObject({ provider: "ollama", error: "connection refused", failing_for_s: SUMMARY_EVERY_MS / 1000 });
    limiter.clear("discovery:ollama", "model discovery recovered", { provider: "ollama" });
    expect(lines[2]).toMatchObject({ level: "info", msg: "model discovery recovered", failures: 21 });
    // After the end, the next failure is news again.
    limiter.warn("discovery:ollama", "model discovery failed", "connection refused", { provider: "ollama" });
    expect(lines).toHaveLength(4);
  });

  test("another message about the same subject is logged at once; clearing what never failed logs nothing", () => {
    const { lines, logger, clock } = capture();
    const limiter = new RepeatLimiter(logger, clock.now);
    limiter.clear("discovery:x", "recovered", {});
    limiter.warn("discovery:x", "failed", "timed out", {});
    limiter.warn("discovery:x", "failed", "timed out", {});
    limiter.warn("discovery:x", "failed", "401 Unauthorized", {});
    expect(lines.map((l) => l.error)).toEqual(["timed out", "401 Unauthorized"]);
  });
});

describe("discovery back-off", () => {
  test.each([
    [30_000, 0, 30_000],
    [30_000, 1, 60_000],
    [30_000, 2, 120_000],
    [30_000, 3, 240_000],
    [30_000, 4, MAX_DISCOVERY_BACKOFF_MS],
    [30_000, 50, MAX_DISCOVERY_BACKOFF_MS],
    [600_000, 3, 600_000], // never below the provider's own interval
  ])("every %d ms, %d failures → %d ms", (every, failures, expected) => {
    expect(nextDiscoveryDelay(every, failures)).toBe(expected);
  });

  test("a provider that keeps failing is logged once, then recovers at info", async () => {
    const { lines, logger, clock } = capture();
    const registry = new ModelRegistry(logger, clock.now);
    let isUp = false;
    const provider: Provider = {
      name: "flaky",
      refreshIntervalMs: 30_000,
      models: async () => {
        if (!isUp) throw new Error("connect ECONNREFUSED 127.0.0.1:11434");
        return [{ id: "m1" }];
      },
      chat: async () => ({ choices: [] }),
      async *chatStream() {},
    };
    registry.add(provider);
    const ctx = { logger, upstreamHeaders: {} };
    for (let i = 0; i < 10; i++) {
      await registry.refresh(provider, ctx, 1000);
      clock.advance(30_000);
    }
    expect(lines.filter((l) => l.msg === "model discovery failed; keeping the last known list")).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", provider: "flaky", next_try_s: 60 });
    isUp = true;
    await registry.refresh(provider, ctx, 1000);
    expect(lines.at(-1)).toMatchObject({ level: "info", msg: "model discovery recovered", provider: "flaky", models: 1, failures: 10 });
    expect(registry.list().map((m) => m.id)).toEqual(["m1"]);
  });
});
