import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import ollama from "../plugins/ollama/index.ts";
import { createLogger } from "../src/logger.ts";
import { Readiness, redisCheck, type ReadinessCheck } from "../src/observe/readiness.ts";
import { definePlugin } from "../src/kit.ts";
import { ModelRegistry } from "../src/registry.ts";
import { RedisConnection } from "../src/surfaces/openai-responses/store/redis-connection.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { freePort } from "./helpers/process.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";

/** Ollama's `/api/version` and `/api/tags` (docs/api.md), or 500s while "down". */
function fakeOllama(): FakeServer & { setDown(down: boolean): void } {
  const state = { down: false };
  const server = startFakeServer((request) => {
    if (state.down) return Response.json({ error: "model runner crashed" }, { status: 500 });
    if (request.path === "/api/version") return Response.json({ version: "0.6.4" });
    if (request.path === "/api/tags") return Response.json({ models: [] });
    return Response.json({ error: "not found" }, { status: 404 });
  });
  return Object.assign(server, { setDown: (down: boolean) => void (state.down = down) });
}

describe("GET /health/ready on a real port", () => {
  let upstream: ReturnType<typeof fakeOllama>;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = fakeOllama();
    gw = await startTestGateway({ OLLAMA_BASE_URL: upstream.url, OLLAIX_API_KEYS: "client-key-1234" }, [dummy, ollama]);
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  test("200 while a provider answers its probe, with each provider's result; never needs a key", async () => {
    const response = await fetch(`${gw.url}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ready",
      providers: [{ name: "dummy", ok: null }, { name: "ollama", ok: true, detail: "Ollama 0.6.4" }],
      checks: [],
    });
  });

  test("probes are cached: a burst of readiness checks probes the upstream once", async () => {
    const before = upstream.requests.filter((r) => r.path === "/api/version").length;
    await Promise.all(Array.from({ length: 5 }, () => fetch(`${gw.url}/health/ready`)));
    expect(upstream.requests.filter((r) => r.path === "/api/version").length - before).toBeLessThanOrEqual(1);
  });

  test("/health stays a liveness probe that never calls upstream", async () => {
    const before = upstream.requests.length;
    upstream.setDown(true);
    try {
      const response = await fetch(`${gw.url}/health`);
      expect(response.status).toBe(200);
      expect((await json(response)).status).toBe("healthy");
      expect(upstream.requests.length).toBe(before);
    } finally {
      upstream.setDown(false);
    }
  });
});

describe("not ready", () => {
  test("503 with the detail when the only probed provider is unreachable", async () => {
    const gw = await startTestGateway({ OLLAMA_BASE_URL: `http://127.0.0.1:${freePort()}` }, [dummy, ollama]);
    try {
      const response = await fetch(`${gw.url}/health/ready`);
      expect(response.status).toBe(503);
      const body = await json(response);
      expect(body.status).toBe("not_ready");
      expect(body.providers[1]).toMatchObject({ name: "ollama", ok: false });
      expect(typeof body.providers[1].detail).toBe("string");
    } finally {
      await gw.close();
    }
  });
});

describe("Readiness", () => {
  const logger = createLogger({ level: "error", write: () => undefined });
  let upstream: ReturnType<typeof fakeOllama>;
  let redis: TestRedis;
  beforeAll(async () => {
    upstream = fakeOllama();
    redis = await startRedis();
  });
  afterAll(async () => {
    await upstream.close();
    await redis.stop();
  });

  async function registryWithOllama(): Promise<ModelRegistry> {
    const registry = new ModelRegistry(logger);
    const created = await ollama.create({ env: { OLLAMA_BASE_URL: upstream.url }, settings: undefined, logger, fetch, addSecret: () => undefined, readSecretEnv: () => undefined });
    for (const p of [created].flat()) if (p) registry.add(p);
    registry.add(dummy);
    return registry;
  }

  test("follows the provider: ready, then not while it fails, then ready again (no cache)", async () => {
    const readiness = new Readiness({ registry: await registryWithOllama(), logger, redact: (t) => t, cacheMs: 0 });
    expect((await readiness.report()).ready).toBe(true);
    upstream.setDown(true);
    try {
      const report = await readiness.report();
      expect(report.ready).toBe(false);
      expect(report.providers.find((p) => p.name === "ollama")).toMatchObject({ ok: false });
    } finally {
      upstream.setDown(false);
    }
    expect((await readiness.report()).ready).toBe(true);
  });

  test("providers and checks are probed together, not one after the other (a probe: a hung provider and a slow Redis took the sum, 6 s)", async () => {
    // Each waits for the other to have started: probed one after the other, the provider's health
    // would wait out the probe's time limit and read as down.
    let checkStarted!: () => void;
    const checkHasStarted = new Promise<void>((resolve) => (checkStarted = resolve));
    let providerStarted!: () => void;
    const providerHasStarted = new Promise<void>((resolve) => (providerStarted = resolve));
    const registry = new ModelRegistry(logger);
    registry.add(
      definePlugin({
        name: "waits",
        models: [{ id: "m" }],
        chat: async () => ({ choices: [] }),
        async *chatStream() {},
        health: async () => {
          providerStarted();
          await checkHasStarted;
          return { ok: true, detail: "up" };
        },
      }),
    );
    const check: ReadinessCheck = {
      name: "redis",
      check: async () => {
        checkStarted();
        await providerHasStarted;
        return { ok: true };
      },
    };
    const readiness = new Readiness({ registry, logger, redact: (t) => t, cacheMs: 0, timeoutMs: 1000, checks: [check] });
    const report = await readiness.report();
    expect(report.providers).toEqual([{ name: "waits", ok: true, detail: "up" }]);
    expect(report.ready).toBe(true);
  });

  test("a Redis check: ready while Redis answers PING, not ready while it is away", async () => {
    const connection = new RedisConnection(redis.url, "Redis", 500);
    const readiness = new Readiness({ registry: await registryWithOllama(), logger, redact: (t) => t, cacheMs: 0, timeoutMs: 1000 });
    readiness.add(redisCheck(() => connection.call((c) => c.send("PING", []))));
    expect(await readiness.report()).toMatchObject({ ready: true, checks: [{ name: "redis", ok: true }] });
    await redis.stop();
    try {
      const report = await readiness.report();
      expect(report.ready).toBe(false);
      expect(report.checks[0]).toMatchObject({ name: "redis", ok: false });
    } finally {
      await redis.start();
      connection.close();
    }
  });
});

describe("/health/ready of a gateway with REDIS_URL", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  test("a reachable Redis: ready, with the redis check passing (the gateway's own connection)", async () => {
    // Only the dummy (no health probe): readiness is Redis's alone.
    const gw = await startTestGateway({ REDIS_URL: redis.url }, [dummy]);
    try {
      const response = await fetch(`${gw.url}/health/ready`);
      const body = await json(response);
      expect(body.checks).toEqual([{ name: "redis", ok: true }]);
      expect(response.status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  test("an unreachable Redis in closed mode (limited keys refused): 503, naming the redis check", async () => {
    const gw = await startTestGateway({ REDIS_URL: `redis://127.0.0.1:${freePort()}`, REDIS_FAILURE_MODE: "closed" }, [dummy]);
    try {
      const response = await fetch(`${gw.url}/health/ready`);
      expect(response.status).toBe(503);
      expect((await json(response)).checks).toMatchObject([{ name: "redis", ok: false }]);
    } finally {
      await gw.close();
    }
  });

  test("an unreachable Redis in open mode (the default: every replica serves on): still ready, the redis check reported failing (an operations probe: the README's Kubernetes probe took every replica out at once)", async () => {
    const gw = await startTestGateway({ REDIS_URL: `redis://127.0.0.1:${freePort()}` }, [dummy]);
    try {
      const response = await fetch(`${gw.url}/health/ready`);
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({ status: expect.any(String), checks: [{ name: "redis", ok: false }] });
      expect((await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }] }))).status).toBe(200);
      // No key has limits, so only the readiness connection reaches Redis: start-up's refused PING is warned of, once, without the URL.
      const warned = gw.logs.filter((line) => line.includes("Redis unreachable"));
      expect(warned).toHaveLength(1);
      expect(JSON.parse(warned[0]!)).toMatchObject({ level: "warn", msg: expect.stringContaining("stored responses, conversations and background responses answer 503") });
      expect(warned[0]).not.toContain("redis://");
    } finally {
      await gw.close();
    }
  });
});
