// A Redis that hangs (frozen with SIGSTOP: its connections stay open and nothing is answered, as in
// a failover or a network path that drops packets) against a real redis-server. Every request that
// needs shared state ends within REDIS_TIMEOUT_MS (here 300 ms) as the contract says a Redis that
// is away does: the stores answer 503 `state_unavailable`, limits count per replica (`open`, /health
// degraded) or refuse with 503 (`closed`). Once Redis answers again, everything is shared again.
// The clients' own 10 s time-outs only catch a request held open; nothing here times the gateway.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";
import { tcpProxy } from "./helpers/tcp-proxy.ts";
import { RedisState } from "../src/limits/redis-state.ts";
import { RedisHang } from "../src/redis-hang.ts";
import { RedisConnection, wentUnanswered } from "../src/surfaces/openai-responses/store/redis-connection.ts";
import { RedisRunChannel } from "../src/surfaces/openai-responses/store/redis-run-channel.ts";
import { RedisResponseStore } from "../src/surfaces/openai-responses/store/redis-store.ts";

const KEY = "sk-hung-limited-0001";
let redis: TestRedis;
let open: TestGateway;
let closed: TestGateway;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  const config = writeConfigFile({ keys: [{ name: "limited", key_env: "K_LIMITED", rpm: 1000 }] });
  env = { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: "300", OLLAIX_CONFIG: config, K_LIMITED: KEY };
  open = await startTestGateway(env, [dummy]);
  closed = await startTestGateway({ ...env, REDIS_FAILURE_MODE: "closed" }, [dummy]);
});

afterAll(async () => {
  redis?.resume();
  await open?.close();
  await closed?.close();
  await redis?.stop();
});

const within10s = (init: RequestInit = {}): RequestInit => ({ ...init, signal: AbortSignal.timeout(10_000) });
const auth = { authorization: `Bearer ${KEY}` };
const chat = (url: string) => fetch(`${url}/v1/chat/completions`, within10s(jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi" }] }, auth)));

async function expectUnavailable(answer: Response): Promise<void> {
  expect(answer.status).toBe(503);
  const envelope = await json(answer);
  expectOpenAI("ErrorResponse", envelope);
  expect(envelope.error.code).toBe("state_unavailable");
  expect(envelope.error.message).toContain("did not answer within 300 ms");
  expect(envelope.error.message).not.toContain(redis.url);
}

describe("Redis frozen", () => {
  test("readiness says not ready within REDIS_TIMEOUT_MS, not the probes' 3 s (a Kubernetes probe gives up after 1 s by default)", async () => {
    redis.pause();
    try {
      const asked = performance.now();
      const ready = await fetch(`${closed.url}/health/ready`, within10s());
      const took = performance.now() - asked;
      expect(ready.status).toBe(503);
      // Its readiness connection may still be opening (the gateway just started): a connection is given REDIS_TIMEOUT_MS too.
      expect((await json(ready)).checks).toContainEqual({ name: "redis", ok: false, detail: expect.stringMatching(/^Redis (did not answer within 300 ms|is unreachable)\.$/) });
      expect(took).toBeLessThan(2500); // 300 ms here; the probes' own limit is 3 s
    } finally {
      redis.resume();
    }
  }, 15_000);

  test("Responses and Conversations: 503 state_unavailable instead of a request held open; an answer that could not be stored is still given; all back once Redis answers", async () => {
    const client = new OpenAI({ baseURL: `${open.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 10_000 });
    const stored = await client.responses.create({ model: "dummy-model:1.0", input: "Before." });
    redis.pause();
    try {
      await expectUnavailable(await fetch(`${open.url}/v1/responses/${stored.id}`, within10s({ headers: auth })));
      await expectUnavailable(await fetch(`${open.url}/v1/responses/${stored.id}/input_items`, within10s({ headers: auth })));
      await expectUnavailable(await fetch(`${open.url}/v1/responses`, within10s(jsonPost({ model: "dummy-model:1.0", input: "Next.", previous_response_id: stored.id }, auth))));
      await expectUnavailable(await fetch(`${open.url}/v1/conversations`, within10s(jsonPost({}, auth))));
      // The model answered: the answer goes out, its store write failing (logged) after its time.
      const unstored = await fetch(`${open.url}/v1/responses`, within10s(jsonPost({ model: "dummy-model:1.0", input: "During." }, auth)));
      expect(unstored.status).toBe(200);
      expectOpenAI("Response", await json(unstored));
      expect(open.logs.some((line) => line.includes("could not store a response"))).toBe(true);
    } finally {
      redis.resume();
    }
    // The connection that held unanswered commands was replaced: requests are served again (the
    // first may still wait behind the commands a resumed Redis answers first, on a loaded machine).
    let retrieved: string | undefined;
    for (let i = 0; i < 100 && retrieved === undefined; i++) {
      retrieved = await client.responses.retrieve(stored.id).then((r) => r.id, async () => (await Bun.sleep(100), undefined));
    }
    expect(retrieved).toBe(stored.id);
    const next = await client.responses.create({ model: "dummy-model:1.0", input: "After.", previous_response_id: stored.id });
    expect(next.status).toBe("completed");
  }, 30_000);

  test("a background create: a 503 once the store leaves its start unanswered, not tried again for as long (a probe: 503 after 2 × REDIS_TIMEOUT_MS, every time)", async () => {
    // Its own gateway: the stops' subscription it opens (with the first background run, here before Redis hangs) goes with it.
    const gateway = await startTestGateway(env, [dummy]);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: KEY, maxRetries: 0, timeout: 10_000 });
    await client.responses.create({ model: "dummy-model:1.0", input: "Before.", background: true });
    const now = RedisResponseStore.prototype.now;
    let asked = 0;
    RedisResponseStore.prototype.now = function (this: RedisResponseStore) {
      asked++;
      return now.call(this);
    };
    redis.pause();
    try {
      await expectUnavailable(await fetch(`${gateway.url}/v1/responses`, within10s(jsonPost({ model: "dummy-model:1.0", input: "During.", background: true }, auth))));
      expect(asked).toBe(1); // the start's lease asks the store's time first: left unanswered, the create is refused
    } finally {
      redis.resume();
      RedisResponseStore.prototype.now = now;
    }
    try {
      let created: string | undefined;
      for (let i = 0; i < 100 && created === undefined; i++) {
        created = await client.responses.create({ model: "dummy-model:1.0", input: "After.", background: true }).then((r) => r.status, async () => (await Bun.sleep(100), undefined));
      }
      expect(created).toBe("queued");
    } finally {
      await gateway.close();
    }
  }, 30_000);

  test("limits: open counts in this replica and says degraded; closed refuses with 503; both shared again once Redis answers", async () => {
    expect((await chat(open.url)).status).toBe(200);
    redis.pause();
    try {
      const served = await chat(open.url);
      expect(served.status).toBe(200);
      const health = await json(fetch(`${open.url}/health`, within10s()));
      expect(health.status).toBe("degraded");
      expect(JSON.stringify(health)).not.toContain(redis.url);
      const refused = await chat(closed.url);
      expect(refused.status).toBe(503);
      expect((await json(refused)).error.code).toBe("state_unavailable");
    } finally {
      redis.resume();
    }
    // Each replica's probe (every 500 ms) finds Redis again.
    for (const gateway of [open, closed]) {
      let status = "";
      for (let i = 0; i < 100 && status !== "healthy"; i++) {
        await Bun.sleep(50);
        status = (await json(fetch(`${gateway.url}/health`, within10s()))).status;
      }
      expect(status).toBe("healthy");
    }
    expect((await chat(closed.url)).status).toBe(200);
  }, 30_000);
});

describe("one process's connections to a frozen Redis share what they found (a probe: a stored response of a limited key waited for the admission's time-out, then the store's)", () => {
  test("a gateway: a stored response of a limited key is answered after one REDIS_TIMEOUT_MS (the admission's), its store write failing at once, not after another", async () => {
    const gateway = await startTestGateway({ ...env, REDIS_TIMEOUT_MS: "1000" }, [dummy]);
    try {
      expect((await fetch(`${gateway.url}/v1/responses`, within10s(jsonPost({ model: "dummy-model:1.0", input: "Before." }, auth)))).status).toBe(200);
      redis.pause();
      try {
        const started = performance.now();
        const answer = await fetch(`${gateway.url}/v1/responses`, within10s(jsonPost({ model: "dummy-model:1.0", input: "During." }, auth)));
        const ms = performance.now() - started;
        expect(answer.status).toBe(200); // open: counted in this replica; the answer given though not stored
        expect(ms).toBeGreaterThan(900);
        expect(ms).toBeLessThan(1_700);
        expect(gateway.logs.some((line) => line.includes("could not store a response"))).toBe(true);
      } finally {
        redis.resume();
      }
    } finally {
      await gateway.close();
    }
  }, 30_000);

  test("once one command goes REDIS_TIMEOUT_MS unanswered, limits and the stores fail at once, not after as long again; all ask Redis again once it answers", async () => {
    const quiet = { warn() {}, info() {}, error() {}, debug() {} } as never;
    const readiness = new RedisConnection(redis.url, "Redis", 1_000);
    const hang = new RedisHang(() => readiness.call((c) => c.send("PING", [])));
    const state = new RedisState(redis.url, "closed", quiet, 1_000, hang);
    const store = new RedisConnection(redis.url, "The response store (Redis)", 1_000, hang);
    const conversations = new RedisConnection(redis.url, "The conversation store (Redis)", 1_000, hang);
    const took = async (work: () => Promise<unknown>) => {
      const started = performance.now();
      const error = await work().then(() => undefined, (e: unknown) => e);
      return { ms: performance.now() - started, error };
    };
    try {
      await state.start();
      await store.call((c) => c.send("PING", []));
      await conversations.call((c) => c.send("PING", []));
      redis.pause();
      try {
        // The admission waits its 1 s; the store's read after it fails at once, as a stored response's write would.
        const admitted = await took(async () => state.admit("k", { rpm: 5 }, Date.now()));
        expect(admitted.ms).toBeGreaterThan(900);
        expect(admitted.error).toMatchObject({ code: "state_unavailable" });
        const stored = await took(() => store.call((c) => c.send("PING", [])));
        expect(stored.ms).toBeLessThan(500);
        expect(stored.error).toMatchObject({ status: 503, code: "state_unavailable", message: "The response store (Redis) did not answer within 1000 ms." });
        expect(wentUnanswered(stored.error)).toBe(true); // a background start is not tried again
        expect((await took(() => conversations.call((c) => c.send("PING", [])))).ms).toBeLessThan(500);
        expect((await took(async () => state.admit("k", { rpm: 5 }, Date.now()))).ms).toBeLessThan(500);
      } finally {
        redis.resume();
      }
      // The other way: a store's command left unanswered fails the admissions at once too.
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        back = (await store.call((c) => c.send("PING", [])).catch(() => undefined)) === "PONG" && state.health().status === "ok";
        if (!back) await Bun.sleep(100);
      }
      expect(back).toBe(true);
      redis.pause();
      try {
        expect((await took(() => store.call((c) => c.send("PING", [])))).ms).toBeGreaterThan(900);
        const admitted = await took(async () => state.admit("k", { rpm: 5 }, Date.now()));
        expect(admitted.ms).toBeLessThan(500);
        expect(admitted.error).toMatchObject({ code: "state_unavailable" });
        expect(state.health().status).toBe("degraded");
      } finally {
        redis.resume();
      }
      let pong: unknown;
      for (let i = 0; i < 100 && pong !== "PONG"; i++) pong = await conversations.call((c) => c.send("PING", [])).catch(async () => void (await Bun.sleep(100)));
      expect(pong).toBe("PONG");
    } finally {
      hang.close();
      state.close();
      store.close();
      conversations.close();
      readiness.close();
    }
  }, 30_000);
});

describe("a path to Redis that drops packets (the connection stays open and dead; new ones work)", () => {
  test("limits and the stores each replace the connection that stopped answering, and are shared again at once", async () => {
    let cut = false;
    const proxy = await tcpProxy(redis.port, { holdMs: 60_000, holdOn: () => cut });
    const quiet = { warn() {}, info() {}, error() {}, debug() {} } as never;
    const state = new RedisState(`redis://${proxy.address}`, "open", quiet, 150);
    const store = new RedisConnection(`redis://${proxy.address}`, "The store (Redis)", 150);
    try {
      await state.start();
      await store.call((c) => c.send("PING", []));
      expect(state.health().status).toBe("ok");
      cut = true; // what the existing connections send now goes nowhere, for a minute
      await state.admit("k", { rpm: 100 }, Date.now()); // counted here meanwhile (open)
      expect(state.health().status).toBe("degraded");
      expect(await store.call((c) => c.send("PING", [])).catch((e: Error) => e.message)).toContain("did not answer within 150 ms");
      cut = false; // new connections go through
      let limits = "";
      for (let i = 0; i < 40 && limits !== "ok"; i++) {
        await Bun.sleep(100);
        limits = state.health().status;
      }
      expect(limits).toBe("ok");
      expect(await store.call((c) => c.send("PING", []))).toBe("PONG");
    } finally {
      state.close();
      store.close();
      proxy.stop();
    }
  }, 20_000);

  test("readiness replaces its own connection once a PING goes unanswered: ready again once a new one answers; /health (no key has limits) degraded only while none does", async () => {
    const proxy = await tcpProxy(redis.port);
    // No key with limits: /health, too, reads the readiness connection.
    // Closed mode: a Redis away makes readiness fail (in open mode it is reported only: observe-ready.test.ts).
    const gateway = await startTestGateway({ REDIS_URL: `redis://${proxy.address}`, REDIS_TIMEOUT_MS: "300", REDIS_FAILURE_MODE: "closed" }, [dummy]);
    // A new round of probes each time, as a poll after the cache's 5 s would have.
    const probe = () => gateway.gateway.observability.readiness.report(performance.now() + 60_000);
    const health = async () => (await json(fetch(`${gateway.url}/health`, within10s()))).status as string;
    try {
      expect((await fetch(`${gateway.url}/health/ready`, within10s())).status).toBe(200);
      proxy.freeze(); // the open connections stay open and answer nothing, for good
      proxy.refusing = true; // and for now no new one opens
      const frozen = await probe();
      expect(frozen.ready).toBe(false);
      const [check] = frozen.checks;
      expect(check).toMatchObject({ name: "redis", ok: false });
      expect(check!.detail).toContain("did not answer");
      expect(await health()).toBe("degraded");
      proxy.refusing = false; // new connections go through (a probe may still join an opening refused before)
      let ready = false;
      for (let i = 0; i < 40 && !ready; i++) {
        ready = (await probe()).ready;
        if (!ready) await Bun.sleep(50);
      }
      expect(ready).toBe(true);
      let status = "";
      for (let i = 0; i < 40 && status !== "healthy"; i++) {
        status = await health();
        if (status !== "healthy") await Bun.sleep(100);
      }
      expect(status).toBe("healthy");
    } finally {
      await gateway.close();
      proxy.stop();
    }
  }, 20_000);
});

describe("Redis answering late, within REDIS_TIMEOUT_MS (a slow path to Redis)", () => {
  test("limits, the stores, the stops' subscriber and readiness each wait REDIS_TIMEOUT_MS for it, not a fixed 2 s", async () => {
    // Each new connection's greeting (HELLO, the first thing Bun's client sends) reaches Redis 2.3 s late.
    const proxy = await tcpProxy(redis.port, { holdMs: 2_300, holdOn: (text) => /\nHELLO\r/.test(text) });
    const url = `redis://${proxy.address}`;
    const quiet = { warn() {}, info() {}, error() {}, debug() {} } as never;
    const state = new RedisState(url, "open", quiet, 5_000);
    const store = new RedisConnection(url, "The store (Redis)", 5_000);
    const errors: string[] = [];
    const channel = new RedisRunChannel(url, (message) => errors.push(message), { timeoutMs: 5_000 });
    const gateway = await startTestGateway({ REDIS_URL: url, REDIS_TIMEOUT_MS: "5000" }, [dummy]);
    try {
      const [, pong, , ready] = await Promise.all([
        state.start(),
        store.call((c) => c.send("PING", [])),
        channel.onStop(() => {}),
        fetch(`${gateway.url}/health/ready`, within10s()),
      ]);
      expect(state.health().status).toBe("ok");
      expect(pong).toBe("PONG");
      expect(errors).toEqual([]);
      expect(await redis.command(["PUBSUB", "NUMSUB", "ollaix:responses:stops"])).toEqual(["ollaix:responses:stops", 1]);
      expect((await json(ready)).checks).toEqual([{ name: "redis", ok: true }]);
    } finally {
      await gateway.close();
      state.close();
      store.close();
      await channel.close();
      proxy.stop();
    }
  }, 20_000);

  test("a SUBSCRIBE answered late, within REDIS_TIMEOUT_MS: the stops are heard on that connection, not given up at a fixed 2 s", async () => {
    const proxy = await tcpProxy(redis.port, { holdMs: 2_300, holdOn: (text) => /\nSUBSCRIBE\r/.test(text) });
    const errors: string[] = [];
    const channel = new RedisRunChannel(`redis://${proxy.address}`, (message) => errors.push(message), { timeoutMs: 5_000 });
    try {
      await channel.onStop(() => {});
      expect(errors).toEqual([]);
      expect(await redis.command(["PUBSUB", "NUMSUB", "ollaix:responses:stops"])).toEqual(["ollaix:responses:stops", 1]);
    } finally {
      await channel.close();
      proxy.stop();
    }
  }, 20_000);
});
