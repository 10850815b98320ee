// Limits shared by several Ollaix processes through one real redis-server: a request limit is exact
// across replicas; tokens and the daily budget are shared; Redis going away and coming back.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { resolve } from "node:path";
import { eventually, writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost } from "../helpers/gateway.ts";
import { freePort, minimalEnv } from "../helpers/process.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { awayFromMinuteEnd } from "../helpers/windows.ts";

// A test may first wait up to 8 s for a fresh UTC minute (awayFromMinuteEnd): more than the 5 s default.
setDefaultTimeout(20_000);

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const KEYS = { tpm: "sk-shared-tpm-000005", rpm: "sk-shared-rpm-000001", day: "sk-shared-day-000002", after: "sk-shared-after-0003", free: "sk-shared-free-00004" };
let redis: TestRedis;
const procs: Bun.Subprocess[] = [];
let replicas: string[] = [];
let closedReplica: string;
/** A gateway on the same Redis with no key that has limits: Redis holds its stored responses only. */
let storeOnly: string;

async function startOllaix(env: Record<string, string>): Promise<string> {
  const port = freePort();
  const proc = Bun.spawn([process.execPath, MAIN], { env: minimalEnv({ ...env, PORT: String(port), LOG_LEVEL: "warn" }), stdout: "ignore", stderr: "inherit" });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await eventually(() => fetch(`${url}/health`).then((r) => r.ok, () => false), 300, 50);
  return url;
}

beforeAll(async () => {
  redis = await startRedis();
  const config = writeConfigFile({
    plugins: { ollama: { enabled: false } },
    keys: [
      { name: "rpm", key_env: "K_RPM", rpm: 12 },
      { name: "tpm", key_env: "K_TPM", tpm: 10 },
      { name: "day", key_env: "K_DAY", tokens_per_day: 10 },
      { name: "after", key_env: "K_AFTER", rpm: 3 },
      { name: "free", key_env: "K_FREE" },
    ],
  });
  const env = { OLLAIX_CONFIG: config, REDIS_URL: redis.url, K_RPM: KEYS.rpm, K_DAY: KEYS.day, K_AFTER: KEYS.after, K_FREE: KEYS.free, K_TPM: KEYS.tpm };
  [replicas, closedReplica, storeOnly] = await Promise.all([
    Promise.all([startOllaix(env), startOllaix(env), startOllaix(env)]),
    startOllaix({ ...env, REDIS_FAILURE_MODE: "closed" }),
    startOllaix({ REDIS_URL: redis.url, OLLAMA_BASE_URL: "http://127.0.0.1:9" }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const proc of procs) proc.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  await redis.stop();
});

const chat = (url: string, key: string, maxTokens = 8) =>
  fetch(`${url}/v1/chat/completions`, jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi there" }], max_tokens: maxTokens }, { authorization: `Bearer ${key}` }));
const health = async (url: string) => (await fetch(`${url}/health`)).json() as Promise<{ status: string; reason?: string }>;

describe("three replicas, one Redis", () => {
  test("rpm: 12 is exact across replicas: 24 concurrent requests spread over three → 12 answers, 12 × 429", async () => {
    await awayFromMinuteEnd();
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => chat(replicas[i % 3]!, KEYS.rpm)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBe(12);
    expect(statuses.filter((s) => s === 429).length).toBe(12);
    for (const r of answers.filter((a) => a.status === 429)) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    }
    // Every replica answered some and refused some: the count is shared, not per process.
    const remaining = answers.filter((r) => r.status === 200).map((r) => Number(r.headers.get("x-ratelimit-remaining-requests"))).sort((a, b) => a - b);
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  test("tokens per minute spent on one replica are spent on the others", async () => {
    await awayFromMinuteEnd();
    const first = await chat(replicas[0]!, KEYS.tpm, 40);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe("10");
    expect((await json(first)).usage.total_tokens).toBeGreaterThan(10);
    await eventually(async () => (await chat(replicas[1]!, KEYS.tpm)).status === 429);
    const refused = await chat(replicas[2]!, KEYS.tpm);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
    expect((await json(refused)).error.code).toBe("rate_limit_exceeded");
  });

  test("the daily budget spent on one replica is spent on the others", async () => {
    const first = await chat(replicas[0]!, KEYS.day, 40);
    expect(first.status).toBe(200);
    expect((await json(first)).usage.total_tokens).toBeGreaterThan(10);
    // The token update is sent after the answer, without waiting for Redis: it lands a moment later.
    await eventually(async () => (await chat(replicas[1]!, KEYS.day)).status === 429);
    const refused = await chat(replicas[2]!, KEYS.day);
    expect(refused.status).toBe(429);
    expect((await json(refused)).error.code).toBe("insufficient_quota");
  });

  test("Redis stopped: open keeps serving and says degraded; closed refuses keys with limits with 503; back again: shared", async () => {
    await redis.stop();
    // open (default): answers, counted per replica; /health says why it is degraded.
    expect((await chat(replicas[0]!, KEYS.after)).status).toBe(200);
    const degraded = await health(replicas[0]!);
    expect(degraded.status).toBe("degraded");
    expect(degraded.reason).toContain("Redis unreachable");
    expect(degraded.reason).toContain("limits are counted per replica");
    // closed: 503 state_unavailable for a key with limits; a key without limits is served.
    const refused = await chat(closedReplica, KEYS.after);
    expect(refused.status).toBe(503);
    expect((await json(refused)).error).toMatchObject({ type: "api_error", code: "state_unavailable" });
    expect((await chat(closedReplica, KEYS.free)).status).toBe(200);
    // closed says what it does, not open's per-replica counting.
    const closedHealth = await health(closedReplica);
    expect(closedHealth.status).toBe("degraded");
    expect(closedHealth.reason).toContain("requests of keys with limits get 503 state_unavailable");
    // No key with limits: Redis holds the stored responses, which cannot be served; /health says so.
    await eventually(async () => (await health(storeOnly)).status === "degraded", 100, 50);
    expect((await health(storeOnly)).reason).toContain("stored responses");

    await redis.start();
    for (const url of [...replicas, closedReplica, storeOnly]) {
      await eventually(async () => (await health(url)).status === "healthy", 200, 50);
    }
    await awayFromMinuteEnd();
    await redis.command(["FLUSHALL"]);
    const statuses = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(replicas[i % 3]!, KEYS.after).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200).length).toBe(3);
    expect(statuses.filter((s) => s === 429).length).toBe(3);
    expect((await chat(closedReplica, KEYS.after)).status).toBe(429);
  }, 30_000);

  test("Redis keys carry a {hash tag} and all expire", async () => {
    await chat(replicas[0]!, KEYS.rpm);
    const keys = (await redis.command(["KEYS", "*"])) as string[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(/^ollaix:\{key:[^}]+\}:(rpm|tpm|tpd):\d+$/);
      expect(Number(await redis.command(["PTTL", key]))).toBeGreaterThan(0);
    }
  });
});
