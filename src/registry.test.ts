import { describe, expect, test } from "bun:test";
import { createLogger } from "./logger.ts";
import type { ModelInfo, Provider } from "./plugin.ts";
import { ModelRegistry } from "./registry.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

function provider(name: string, models: Provider["models"], refreshIntervalMs = 30_000): Provider {
  return { name, models, refreshIntervalMs, chat: async () => ({ choices: [] }), async *chatStream() {} };
}

/** A plugin's discovery that ignores its signal and never settles. */
const never = () => new Promise<ModelInfo[]>(() => {});

describe("discovery that never settles", () => {
  test("one refresh ends at its time-out: a failure, logged, the last list kept", async () => {
    const { lines, logger } = capture();
    const registry = new ModelRegistry(logger);
    const hung = provider("hung", never);
    registry.add(hung);
    const settled = await Promise.race([registry.refresh(hung, { logger, upstreamHeaders: {} }, 20).then(() => true), Bun.sleep(1000).then(() => false)]);
    expect(settled).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "model discovery failed; keeping the last known list", provider: "hung", error: "no answer within 20 ms" }));
    expect(registry.list()).toEqual([]);
  });

  test("does not stop the other providers' refreshes", async () => {
    const { logger } = capture();
    const registry = new ModelRegistry(logger);
    let calls = 0;
    let refreshed!: () => void;
    const thrice = new Promise<void>((resolve) => (refreshed = resolve));
    registry.add(provider("hung", never));
    registry.add(
      provider("live", async () => {
        if (++calls === 3) refreshed(); // the second refresh's list is in by then
        return [{ id: `live-${calls}` }];
      }, 10),
    );
    try {
      void registry.start({ logger, upstreamHeaders: {} }, 20);
      await Promise.race([thrice, Bun.sleep(1000)]);
      expect(calls).toBeGreaterThanOrEqual(3);
      expect(registry.list().map((m) => m.id)).toContain("live-2");
      // The first round is over too: nothing waits on the hung discovery.
      await registry.discovered;
    } finally {
      registry.stop();
    }
  });
});

describe("listing", () => {
  test("an id listed twice by one provider is one model, listed once as it is (it was also listed as <instance>/<id>)", () => {
    const { logger } = capture();
    const registry = new ModelRegistry(logger);
    registry.add(provider("twice", [{ id: "m", context_length: 8 }, { id: "m", context_length: 16 }, { id: "n" }]));
    expect(registry.list().map((m) => m.id)).toEqual(["m", "n"]);
    expect(registry.resolve("m")).toMatchObject({ upstreamId: "m", contextLength: 8 });
  });

  test("an id another instance lists first is listed as <instance>/<id>, once, however often its own list repeats it", () => {
    const { logger } = capture();
    const registry = new ModelRegistry(logger);
    registry.add(provider("first", [{ id: "m" }]));
    registry.add(provider("second", [{ id: "m" }, { id: "m" }]));
    expect(registry.list().map((m) => `${m.owned_by}:${m.id}`)).toEqual(["first:m", "second:second/m"]);
  });
});
