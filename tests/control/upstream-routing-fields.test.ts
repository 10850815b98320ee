// A key limited to some models cannot be served by others through an upstream gateway's own routing
// fields (OpenRouter's `models` and `route`, LiteLLM's `fallbacks`), which Chat Completions and
// embeddings otherwise pass on as they pass any unknown field (a security probe).
import { afterAll, beforeAll, expect, test } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import openaiCompatible from "../../plugins/openai-compatible/index.ts";
import { openAIHandler } from "../../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { startFakeServer, type FakeServer } from "../helpers/fake-server.ts";
import { jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const LIMITED = "sk-routing-limited-0001";
const FREE = "sk-routing-free-00002";
let fake: FakeServer;
let gw: TestGateway;
beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  const config = writeConfigFile({ keys: [{ name: "limited", key_env: "K_LIMITED", models: ["gpt-4o-mini", "text-embedding-3-small"] }, { name: "free", key_env: "K_FREE" }] });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, K_LIMITED: LIMITED, K_FREE: FREE, OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: "sk-upstream" }, [dummy, openaiCompatible]);
});
afterAll(async () => {
  await gw.close();
  await fake.close();
});

const ROUTING = { models: ["anthropic/claude-opus-4", "openai/gpt-5-pro"], route: "fallback", fallbacks: ["gpt-5-pro"] };
const lastBody = (path: string) => fake.requests.filter((r) => r.path === path).at(-1)!.body as Record<string, unknown>;

test("a key with a models list: the routing fields do not reach the upstream, streamed or not, nor on embeddings; other extra fields still do", async () => {
  for (const stream of [false, true]) {
    const answer = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream, top_k: 5, ...ROUTING }, { authorization: `Bearer ${LIMITED}` }));
    expect(answer.status).toBe(200);
    await answer.text();
    const sent = lastBody("/v1/chat/completions");
    expect(sent).not.toHaveProperty("models");
    expect(sent).not.toHaveProperty("route");
    expect(sent).not.toHaveProperty("fallbacks");
    expect(sent.top_k).toBe(5);
  }
  const embedded = await fetch(`${gw.url}/v1/embeddings`, jsonPost({ model: "text-embedding-3-small", input: "hi", ...ROUTING }, { authorization: `Bearer ${LIMITED}` }));
  expect(embedded.status).toBe(200);
  expect(lastBody("/v1/embeddings")).not.toHaveProperty("models");
});

test("a key allowed every model passes them on, as any extra field", async () => {
  const answer = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...ROUTING }, { authorization: `Bearer ${FREE}` }));
  expect(answer.status).toBe(200);
  expect(lastBody("/v1/chat/completions")).toMatchObject(ROUTING);
});
