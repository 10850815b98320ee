import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { ChatRequest, DiscoveryContext, EmbeddingRequest, Provider, RequestContext } from "../../src/kit.ts";
import { createLogger } from "../../src/logger.ts";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { jsonResponse, openAIHandler } from "./__fixtures__/fake-openai.ts";
import { createProvider } from "./provider.ts";
import type { Upstream } from "./settings.ts";

const logger = createLogger({ level: "error", write: () => undefined });
let fake: FakeServer;
let provider: Provider;
let upstream: Upstream;

beforeAll(() => {
  fake = startFakeServer(openAIHandler);
  upstream = { name: "up", baseUrl: `${fake.url}/v1`, apiKey: "sk-provider-key-01", headers: {}, refreshIntervalMs: 5000 };
  provider = createProvider(upstream, fetch);
});
afterEach(() => fake.handle(openAIHandler));
afterAll(() => fake.close());

const requestContext = (): RequestContext => ({
  signal: new AbortController().signal,
  model: "gpt-4o-mini",
  requestedModel: "up/gpt-4o-mini",
  requestId: "req_1",
  upstreamHeaders: { "x-ollaix-hops": "1", "x-request-id": "req_1" },
  logger,
  loadImages: () => Promise.reject(new Error("not used by this plugin")),
});
const discoveryContext = (): DiscoveryContext => ({ signal: new AbortController().signal, logger, upstreamHeaders: { "x-ollaix-hops": "1" } });

describe("createProvider", () => {
  test("describes the instance: name, discovery, any id accepted, n up to 128, token-id embeddings", async () => {
    expect(provider.name).toBe("up");
    expect(typeof provider.models).toBe("function");
    expect(provider.refreshIntervalMs).toBe(5000);
    expect(provider.resolveModel!("openai/gpt-4o")).toBe("openai/gpt-4o");
    expect(provider.maxN).toBe(128);
    expect(provider.acceptsTokenIds).toBe(true);
    const discover = provider.models as (ctx: DiscoveryContext) => Promise<unknown>;
    expect(await discover(discoveryContext())).toEqual([
      { id: "gpt-4o-mini", created: 1721172741 },
      { id: "text-embedding-3-small", created: 1705948997 },
    ]);
  });

  test("a fixed list is the models, as they are", () => {
    const fixed = createProvider({ ...upstream, models: [{ id: "m1" }] }, fetch);
    expect(fixed.models).toEqual([{ id: "m1" }]);
  });

  test("chat sends a copy of the request with the upstream id; the request object is untouched", async () => {
    fake.requests.length = 0;
    const request = { model: "up/gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 5, top_k: 2 } as ChatRequest;
    const before = structuredClone(request);
    await provider.chat(request, requestContext());
    expect(request).toEqual(before);
    expect(fake.requests[0]!.body).toEqual({ ...before, model: "gpt-4o-mini" });
  });

  test("a tool-call id over OpenAI's 40 characters (Gemini's carry their thought signature) goes upstream as a short one made from it, the same for the call and its result", async () => {
    fake.requests.length = 0;
    const long = `call_0123456789abcdef__thought__${"Q".repeat(600)}`;
    const request = {
      model: "up/gpt-4o-mini",
      messages: [
        { role: "user", content: "Weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: long, type: "function", function: { name: "w", arguments: "{}" } }, { id: "call_short", type: "function", function: { name: "w", arguments: "{}" } }] },
        { role: "tool", tool_call_id: long, content: "rain" },
        { role: "tool", tool_call_id: "call_short", content: "sun" },
      ],
    } as ChatRequest;
    const before = structuredClone(request);
    await provider.chat(request, requestContext());
    expect(request).toEqual(before);
    const sent = (fake.requests[0]!.body as ChatRequest).messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    const id = sent[1]!.tool_calls![0]!.id;
    expect(id).toMatch(/^call_[0-9a-f]{16}$/);
    expect(sent[2]!.tool_call_id).toBe(id);
    expect(sent[1]!.tool_calls![1]!.id).toBe("call_short");
    expect(sent[3]!.tool_call_id).toBe("call_short");
  });

  test("embed sends the client's own input and asks for floats", async () => {
    fake.requests.length = 0;
    const request: EmbeddingRequest = { model: "up/text-embedding-3-small", input: "one text", encoding_format: "base64", dimensions: 3 };
    const result = await provider.embed!(["one text"], request, requestContext());
    expect(fake.requests[0]!.body).toEqual({ model: "gpt-4o-mini", input: "one text", encoding_format: "float", dimensions: 3 });
    expect(result).toEqual({ embeddings: [[0.0023064255, -0.009327292, -0.0028842222]], usage: { prompt_tokens: 8, total_tokens: 8 } });
  });

  test("health: ok with the model count; not ok with the reason, never throwing", async () => {
    expect(await provider.health!(discoveryContext())).toEqual({ ok: true, detail: "2 models" });
    fake.handle(() => jsonResponse({ error: { message: "bad key sk-provider-key-01" } }, 401));
    expect(await provider.health!(discoveryContext())).toEqual({ ok: false, detail: "The gateway's key for up was refused by the upstream (HTTP 401)." });
  });
});
