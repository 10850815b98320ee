// The console's Keys tab with real keys from OLLAIX_CONFIG: after real requests on several surfaces,
// /console/api/keys shows each key's name, models, limits and use (this minute's requests and
// tokens, today's tokens) from the same counters the limits use, in-process and in Redis; never a key.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { writeConfigFile } from "../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { startRedis, type TestRedis } from "./helpers/redis.ts";
import { awayFromMinuteEnd } from "./helpers/windows.ts";

setDefaultTimeout(20_000);

const KEY = { a: "sk-console-team-a-0001", b: "sk-console-team-b-0002", free: "sk-console-free-00003" };
const config = () =>
  writeConfigFile({
    keys: [
      { name: "team-a", key_env: "K_A", models: ["dummy-*"], rpm: 60, tpm: 100_000, tokens_per_day: 1_000_000 },
      { name: "team-b", key_env: "K_B", rpm: 10 },
      { name: "free", key_env: "K_FREE", models: ["dummy-model:1.0"] },
    ],
  });
const env = () => ({ OLLAIX_CONFIG: config(), K_A: KEY.a, K_B: KEY.b, K_FREE: KEY.free });
const user = [{ role: "user", content: "How many tokens is this?" }];

/** One request on a surface; returns the tokens its answer reported (input + output). */
const SURFACES: ((url: string, key: string) => Promise<number>)[] = [
  async (url, key) => {
    const body = await json(fetch(`${url}/v1/chat/completions`, jsonPost({ model: "dummy-model:1.0", messages: user, max_tokens: 8 }, { authorization: `Bearer ${key}` })));
    return body.usage.prompt_tokens + body.usage.completion_tokens;
  },
  async (url, key) => {
    const body = await json(fetch(`${url}/v1/messages`, jsonPost({ model: "dummy-model:1.0", messages: user, max_tokens: 8 }, { "x-api-key": key })));
    return body.usage.input_tokens + body.usage.output_tokens;
  },
  async (url, key) => {
    const body = await json(fetch(`${url}/api/chat`, jsonPost({ model: "dummy-model:1.0", messages: user, stream: false, options: { num_predict: 8 } }, { authorization: `Bearer ${key}` })));
    return body.prompt_eval_count + body.eval_count;
  },
  async (url, key) => {
    const body = await json(fetch(`${url}/v1/responses`, jsonPost({ model: "dummy-model:1.0", input: "How many tokens is this?", max_output_tokens: 16 }, { authorization: `Bearer ${key}` })));
    return body.usage.input_tokens + body.usage.output_tokens;
  },
];

async function checkKeysTab(gw: TestGateway): Promise<void> {
  await awayFromMinuteEnd();
  const N = 5;
  let tokensA = 0;
  for (let i = 0; i < N; i++) tokensA += await SURFACES[i % SURFACES.length]!(gw.url, KEY.a);
  const tokensB = await SURFACES[0]!(gw.url, KEY.b);
  await SURFACES[2]!(gw.url, KEY.free);
  expect(tokensA).toBeGreaterThan(0);

  const response = await fetch(`${gw.url}/console/api/keys`);
  expect(response.status).toBe(200);
  const text = await response.text();
  for (const key of Object.values(KEY)) expect(text).not.toContain(key);
  expect(JSON.parse(text)).toEqual({
    configured: true,
    shortFormKeys: 0,
    data: [
      { name: "team-a", models: ["dummy-*"], limits: { rpm: 60, tpm: 100_000, tokens_per_day: 1_000_000 }, usage: { rpm: N, tpm: tokensA, tokens_per_day: tokensA } },
      // Without a token limit its tokens are not counted, so none are shown (a probe: a 0 read as none used); its requests are.
      { name: "team-b", limits: { rpm: 10 }, usage: { rpm: 1 } },
      { name: "free", models: ["dummy-model:1.0"], limits: {}, usage: {} },
    ],
  });
  expect(tokensB).toBeGreaterThan(0);
}

describe("in-process limits", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(env(), [dummy]);
  });
  afterAll(() => gw.close());

  test("/console/api/keys: names, models, limits and this minute's use; no key value", () => checkKeysTab(gw));
});

describe("limits in Redis (REDIS_URL)", () => {
  let redis: TestRedis;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startTestGateway({ ...env(), REDIS_URL: redis.url }, [dummy]);
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  test("/console/api/keys reads the shared counters", () => checkKeysTab(gw));
});
