// An upstream whose usage says more tokens than any request can have (a probe: prompt_tokens
// 10000000000000000000, a negative count read as an unsigned 64-bit one). The figure is none, as a
// negative one is: the gateway's estimate is what the client is told and what the key is charged.
// It made Redis refuse the token update, and Redis was taken for away: in closed mode every limited
// key got 503 until the next probe, and /health said degraded.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { definePlugin } from "../../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";

const HUGE = 10000000000000000000;
const plugin = definePlugin({
  name: "huge",
  models: [{ id: "huge-model" }],
  chat: async () => ({
    choices: [{ index: 0, finish_reason: "stop" as const, message: { role: "assistant" as const, content: "Four words of answer.", refusal: null } }],
    usage: { prompt_tokens: HUGE, completion_tokens: 5, total_tokens: HUGE },
  }),
  async *chatStream() {
    yield { choices: [{ index: 0, delta: { content: "Four words of answer." } }] };
    yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" as const }], usage: { prompt_tokens: 4, completion_tokens: HUGE, total_tokens: HUGE } };
  },
});
const KEY = "sk-huge-usage-000001";
const auth = { authorization: `Bearer ${KEY}` };
let redis: TestRedis;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  const config = writeConfigFile({ keys: [{ name: "budget", key_env: "K_BUDGET", rpm: 100, tpm: 100_000, tokens_per_day: 1_000_000 }] });
  gw = await startTestGateway({ REDIS_URL: redis.url, REDIS_FAILURE_MODE: "closed", OLLAIX_CONFIG: config, K_BUDGET: KEY }, [plugin]);
});
afterAll(async () => {
  await gw?.close();
  await redis?.stop();
});

const dayTokens = async () => {
  const [key] = (await redis.command(["KEYS", "ollaix:{key:budget}:tpd:*"])) as string[];
  return key === undefined ? 0 : Number(await redis.command(["GET", key]));
};

test("an absurd figure is estimated: the client is told the estimate, the key is charged it in Redis, and Redis is not taken for away", async () => {
  const answer = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "huge-model", messages: [{ role: "user", content: "Count these words for me." }] }, auth));
  expect(answer.status).toBe(200);
  const { usage } = await json(answer);
  expect(usage.prompt_tokens).toBeLessThan(100);
  expect(usage.completion_tokens).toBe(5);
  expect(usage.total_tokens).toBe(usage.prompt_tokens + 5);
  let charged = 0;
  for (let i = 0; i < 50 && charged === 0; i++) charged = await dayTokens().then(async (n) => (n === 0 && (await Bun.sleep(20)), n));
  expect(charged).toBe(usage.total_tokens);

  const streamed = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "huge-model", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "Again." }] }, auth));
  expect(streamed.status).toBe(200);
  const last = (await streamed.text()).split("\n\n").filter((frame) => frame.startsWith("data: {")).map((frame) => JSON.parse(frame.slice(6))).at(-1);
  expect(last.usage.prompt_tokens).toBe(4);
  expect(last.usage.completion_tokens).toBeLessThan(100); // the estimate of its text
  for (let i = 0; i < 50 && (await dayTokens()) === charged; i++) await Bun.sleep(20);
  expect(await dayTokens()).toBe(charged + last.usage.total_tokens);

  expect((await json(fetch(`${gw.url}/health`))).status).toBe("healthy");
  expect(gw.logs.filter((line) => /Redis (unreachable|refused)/.test(line))).toEqual([]);
  expect((await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "huge-model", messages: [{ role: "user", content: "hi" }] }, auth))).status).toBe(200);
});
