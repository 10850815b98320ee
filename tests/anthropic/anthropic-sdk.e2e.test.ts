import Anthropic from "@anthropic-ai/sdk";
import { createAnthropic } from "@ai-sdk/anthropic";
import { generateText, streamText } from "ai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { RateLimitError, UpstreamError, UpstreamTimeoutError, UpstreamUnavailableError } from "../../src/errors.ts";
import { countPromptTokens } from "../../src/surfaces/token-count.ts";
import { fromToolUseId } from "../../src/surfaces/anthropic-messages/tool-use-id.ts";
import { Value } from "@sinclair/typebox/value";
import { AnthropicErrorBody, MessageResponse, TokensCount } from "../../src/surfaces/anthropic-messages/schema.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { argumentsDelta, createScripted, finish, SCRIPTED_MODEL, text, thinking, toolCall, usage, type ScriptedProvider } from "./scripted-plugin.ts";

/**
 * `/v1/messages` on a real port with keys configured, driven by the official `@anthropic-ai/sdk`
 * and the Vercel AI SDK's `@ai-sdk/anthropic`: the dummy model for plain answers, a scripted
 * provider for tool loops, thinking and failures.
 */
const KEY = "sk-ollaix-anthropic-test-0001";
let gw: TestGateway;
let scripted: ScriptedProvider;
let client: Anthropic;

beforeAll(async () => {
  scripted = createScripted();
  gw = await startTestGateway({ OLLAIX_API_KEYS: KEY }, [dummy, scripted]);
  client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
});
afterEach(() => {
  scripted.queue.length = 0;
  scripted.received.length = 0;
});
afterAll(() => gw.close());

const hello = [{ role: "user" as const, content: "Hello" }];

describe("@anthropic-ai/sdk", () => {
  test("messages.create: a Message with msg_ id, the asked model, text and usage", async () => {
    const m = await client.messages.create({ model: "dummy-model:1.0", max_tokens: 64, messages: hello });
    expect(m.id).toMatch(/^msg_/);
    expect(m).toMatchObject({ type: "message", role: "assistant", model: "dummy-model:1.0", stop_reason: "end_turn", stop_sequence: null });
    expect(m.content[0]!.type).toBe("text");
    expect((m.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    // The fields the SDK's types (1.14) require, null where nothing applies: a strict `=== null` check holds, streamed too.
    expect(m).toMatchObject({ container: null, stop_details: null, diagnostics: null });
    expect(m.content[0]).toMatchObject({ citations: null });
    expect(m.usage).toMatchObject({ cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, service_tier: "standard", server_tool_use: null, inference_geo: null, speed: null });
    const streamed = await client.messages.stream({ model: "dummy-model:1.0", max_tokens: 64, messages: hello }).finalMessage();
    expect(streamed.stop_details).toBeNull();
    expect(streamed.container).toBeNull();
    expect(streamed.usage.server_tool_use).toBeNull();
  });

  test("a stop sequence the dummy model stopped at is stop_reason stop_sequence naming it, streamed and not", async () => {
    const asked = { model: "dummy-model:1.0", max_tokens: 400, stop_sequences: ["\u0000never", "e"], messages: hello };
    const m = await client.messages.create(asked);
    expect(m).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "e" });
    expect((m.content[0] as Anthropic.TextBlock).text).not.toContain("e");
    const streamed = await client.messages.stream(asked).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "e" });
  });

  test("answers match the schemas /docs/json shows for them: a Message (text; thinking and tool_use), a token count, an error", async () => {
    const plain = await client.messages.create({ model: "dummy-model:1.0", max_tokens: 64, messages: hello });
    scripted.queue.push({ chunks: [thinking("Two and two."), text("Four."), toolCall(0, "call_c", "calc", '{"a":2}'), finish("tool_calls"), usage(9, 4)] });
    const tools: Anthropic.Tool[] = [{ name: "calc", input_schema: { type: "object" } }];
    const called = await client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 200, tools, messages: [{ role: "user", content: "2+2?" }] });
    expect(called.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    for (const m of [plain, called]) expect([...Value.Errors(MessageResponse, m)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    const counted = await client.messages.countTokens({ model: "dummy-model:1.0", messages: hello });
    expect(Value.Check(TokensCount, counted)).toBe(true);
    const refused = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: JSON.stringify({ model: "nope", max_tokens: 1, messages: hello }) });
    expect(refused.status).toBe(404);
    expect(Value.Check(AnthropicErrorBody, await refused.json())).toBe(true);
    // And the document serves those schemas.
    const spec = (await (await fetch(`${gw.url}/docs/json`)).json()) as { paths: Record<string, { post: { responses: Record<string, { content: Record<string, { schema: { properties: object } }> }> } }> };
    const create = spec.paths["/v1/messages"]!.post.responses;
    expect(Object.keys(create["200"]!.content["application/json"]!.schema.properties)).toEqual(expect.arrayContaining(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]));
    expect(Object.keys(create["404"]!.content["application/json"]!.schema.properties)).toEqual(expect.arrayContaining(["type", "error"]));
    expect(Object.keys(spec.paths["/v1/messages/count_tokens"]!.post.responses["200"]!.content["application/json"]!.schema.properties)).toContain("input_tokens");
  });

  test("messages.stream + finalMessage(): the accumulated message equals the streamed text", async () => {
    const stream = client.messages.stream({ model: "dummy-model:1.0", max_tokens: 64, messages: hello });
    let streamed = "";
    stream.on("text", (delta) => void (streamed += delta));
    const final = await stream.finalMessage();
    expect(streamed.length).toBeGreaterThan(0);
    expect(final.content.map((b) => [b.type, (b as Anthropic.TextBlock).text])).toEqual([["text", streamed]]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.input_tokens).toBeGreaterThan(0);
  });

  test("a tool loop: tool_use ids come back in tool_result and reach the provider as its own call id", async () => {
    const tools: Anthropic.Tool[] = [{ name: "get_weather", description: "Weather in a city", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
    scripted.queue.push({ chunks: [text("Let me check."), toolCall(0, "call_w1", "get_weather", '{"city":'), argumentsDelta(0, '"Paris"}'), finish("tool_calls")] });
    const first = await client.messages.stream({ model: SCRIPTED_MODEL, max_tokens: 200, tools, messages: [{ role: "user", content: "Weather in Paris?" }] }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(use.id).toMatch(/^toolu_/);
    expect(use.input).toEqual({ city: "Paris" });
    expect(fromToolUseId(use.id)).toBe("call_w1");

    scripted.queue.push({ chunks: [text("It is 20°C in Paris.", "stop")] });
    const second = await client.messages.create({
      model: SCRIPTED_MODEL,
      max_tokens: 200,
      tools,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "20°C" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "It is 20°C in Paris.", citations: null }] as never);
    const sent = scripted.received[1]!;
    expect(sent.messages.slice(1)).toEqual([
      { role: "assistant", content: "Let me check.", tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_w1", content: "20°C" },
    ]);
    expect(sent.tools?.[0]?.function.name).toBe("get_weather");
  });

  test("thinking: a thinking block with Ollaix's signature; sent back, the provider gets its reasoning", async () => {
    scripted.queue.push({ chunks: [thinking("Two plus two "), thinking("is four."), text("4"), finish("stop"), usage(12, 9)] });
    const m = await client.messages.stream({
      model: SCRIPTED_MODEL,
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "2+2?" }],
    }).finalMessage();
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    const block = m.content[0] as Anthropic.ThinkingBlock;
    expect(block.thinking).toBe("Two plus two is four.");
    expect(block.signature).toMatch(/^ollaix1\./);
    expect(m.usage).toMatchObject({ input_tokens: 12, output_tokens: 9 });
    expect(scripted.received[0]!.reasoning_effort).toBe("low");

    await client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "2+2?" }, { role: "assistant", content: m.content }, { role: "user", content: "and 3+3?" }] });
    expect(scripted.received[1]!.messages[1]).toEqual({ role: "assistant", content: "4", reasoning_content: "Two plus two is four." } as never);
  });

  test("thinking.display omitted: the block comes with empty thinking, streamed and not; sent back, its signature gives the provider the reasoning", async () => {
    const ask = { model: SCRIPTED_MODEL, max_tokens: 2048, thinking: { type: "enabled" as const, budget_tokens: 1024, display: "omitted" as const }, messages: [{ role: "user" as const, content: "2+2?" }] };
    scripted.queue.push({ chunks: [thinking("Two plus two "), thinking("is four."), text("4"), finish("stop"), usage(12, 9)] });
    const events: string[] = [];
    const stream = client.messages.stream(ask);
    stream.on("streamEvent", (event) => events.push(event.type === "content_block_delta" ? event.delta.type : event.type));
    const streamed = await stream.finalMessage();
    expect(events).not.toContain("thinking_delta");
    expect(events.filter((e) => e === "signature_delta")).toHaveLength(1);
    scripted.queue.push({ chunks: [thinking("Two plus two "), thinking("is four."), text("4"), finish("stop"), usage(12, 9)] });
    const whole = await client.messages.create(ask);
    for (const m of [streamed, whole]) {
      expect(m.content.map((b) => b.type)).toEqual(["thinking", "text"]);
      const block = m.content[0] as Anthropic.ThinkingBlock;
      expect(block.thinking).toBe("");
      expect(block.signature).toMatch(/^ollaix1\./);
      const before = scripted.received.length;
      await client.messages.create({ ...ask, messages: [{ role: "user", content: "2+2?" }, { role: "assistant", content: m.content }, { role: "user", content: "and 3+3?" }] });
      expect(scripted.received[before]!.messages[1]).toEqual({ role: "assistant", content: "4", reasoning_content: "Two plus two is four." } as never);
    }
    // summarized (and no display) shows it, as before.
    scripted.queue.push({ chunks: [thinking("Shown."), text("4"), finish("stop")] });
    const shown = await client.messages.create({ ...ask, thinking: { type: "enabled", budget_tokens: 1024, display: "summarized" } });
    expect((shown.content[0] as Anthropic.ThinkingBlock).thinking).toBe("Shown.");
  });

  test("countTokens: the gateway's BPE estimate for a provider without a counter", async () => {
    const { input_tokens } = await client.messages.countTokens({ model: "dummy-model:1.0", system: "Be brief.", messages: [{ role: "user", content: "Hello there, how are you today?" }] });
    expect(input_tokens).toBe(await countPromptTokens([{ role: "system", content: "Be brief." }, { role: "user", content: "Hello there, how are you today?" }], undefined));
    expect(input_tokens).toBeGreaterThan(8);
  });

  test("countTokens counts a structured output's schema, as the model is given it", async () => {
    const messages = [{ role: "user" as const, content: "Capital of France?" }];
    const schema = { type: "object" as const, properties: { city: { type: "string" }, country: { type: "string" } }, required: ["city", "country"], additionalProperties: false };
    const plain = await client.messages.countTokens({ model: "dummy-model:1.0", messages });
    const shaped = await client.messages.countTokens({ model: "dummy-model:1.0", messages, output_config: { format: { type: "json_schema", schema } } });
    const json_schema = { name: "output", schema };
    expect(shaped.input_tokens).toBe(await countPromptTokens(messages, undefined, { type: "json_schema", json_schema }));
    expect(shaped.input_tokens).toBeGreaterThan(plain.input_tokens);
    // message_start's figure is the same count (the contract): the schema in it too (a probe: it was left out).
    const stream = await client.messages.create({ model: "dummy-model:1.0", max_tokens: 50, messages, output_config: { format: { type: "json_schema", schema } }, stream: true });
    let started: number | undefined;
    for await (const event of stream) if (event.type === "message_start") started = event.message.usage.input_tokens;
    expect(started).toBe(shaped.input_tokens);
  });

  test("the request's id reaches the SDK as Anthropic's request-id: on a message, a stream and an error", async () => {
    const message = await client.messages.create({ model: "dummy-model:1.0", max_tokens: 20, messages: [{ role: "user", content: "Hi" }] });
    expect(message._request_id).toMatch(/^req_/);
    const stream = client.messages.stream({ model: "dummy-model:1.0", max_tokens: 20, messages: [{ role: "user", content: "Hi" }] });
    await stream.finalMessage();
    expect(stream.request_id).toMatch(/^req_/);
    const error = await client.messages.create({ model: "nope", max_tokens: 20, messages: [{ role: "user", content: "Hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(/^req_/);
    // A refusal before the route's own code (a body that is not JSON) has it too.
    const early = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: "{nope" });
    expect(early.status).toBe(400);
    expect(early.headers.get("request-id")).toBe(early.headers.get("x-request-id"));
  });

  test("the key as Authorization: Bearer (ANTHROPIC_AUTH_TOKEN) works too", async () => {
    const bearer = new Anthropic({ baseURL: gw.url, authToken: KEY, apiKey: null, maxRetries: 0 });
    expect((await bearer.messages.create({ model: "dummy-model:1.0", max_tokens: 8, messages: hello })).type).toBe("message");
    // Both headers (a client with an API key and a stale auth token): whichever holds the key will do; a stale token beside a good key locked the client out (a probe).
    const withBoth = (apiKey: string, token: string) =>
      fetch(`${gw.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": apiKey, authorization: `Bearer ${token}` },
        body: JSON.stringify({ model: "dummy-model:1.0", max_tokens: 8, messages: hello }),
      });
    expect((await withBoth(KEY, "stale-token")).status).toBe(200);
    expect((await withBoth("stale-key", KEY)).status).toBe(200);
    expect((await withBoth("stale-key", "stale-token")).status).toBe(401);
  });
});

describe("models: Anthropic's Models API for Anthropic clients (anthropic-version), OpenAI's list for the rest", () => {
  test("models.list pages through every model as ModelInfo, newest first; retrieve answers one", async () => {
    const openai = (await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { data: { id: string; created: number }[] };
    const newestFirst = [...openai.data].sort((a, b) => b.created - a.created).map((m) => m.id);
    const seen: string[] = [];
    for await (const model of client.models.list({ limit: 1 })) {
      expect(Object.keys(model).sort()).toEqual(["capabilities", "created_at", "deprecated_at", "display_name", "id", "lifecycle", "line", "max_input_tokens", "max_tokens", "retires_at", "type"]);
      expect(model).toMatchObject({ type: "model", lifecycle: "active", deprecated_at: null, retires_at: null });
      expect(model.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      seen.push(model.id);
    }
    expect(seen).toEqual(newestFirst);
    expect(seen.length).toBeGreaterThan(1);

    const first = await client.models.list({ limit: 1 });
    expect(first).toMatchObject({ has_more: true, first_id: newestFirst[0], last_id: newestFirst[0] });
    const back = await client.models.list({ before_id: newestFirst[1]!, limit: 5 });
    expect(back.data.map((m) => m.id)).toEqual([newestFirst[0]!]);
    expect(back.has_more).toBe(false);
    expect((await client.models.list({ after_id: "no-such-model" })).data).toEqual([]);
    expect((await client.models.list({ lifecycle: ["retired"] } as never)).data).toEqual([]);

    const dummyModel = await client.models.retrieve("dummy-model:1.0");
    expect(dummyModel).toMatchObject({ type: "model", id: "dummy-model:1.0", display_name: "Dummy model", max_input_tokens: 8192, created_at: "2025-01-01T00:00:00Z" });
  });

  test("refusals in Anthropic's envelope: unknown model, bad limit, wrong key", async () => {
    const notFound = await client.models.retrieve("no-such-model").catch((e) => e);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect(notFound.error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const badLimit = await client.models.list({ limit: 0 }).catch((e) => e);
    expect(badLimit).toBeInstanceOf(Anthropic.BadRequestError);
    expect(badLimit.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const wrongKey = await new Anthropic({ baseURL: gw.url, apiKey: "wrong", maxRetries: 0 }).models.list().catch((e) => e);
    expect(wrongKey).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(wrongKey.error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    // Without anthropic-version, x-api-key is not a key on /v1/models, and the envelope is OpenAI's.
    const plain = await fetch(`${gw.url}/v1/models`, { headers: { "x-api-key": KEY } });
    expect(plain.status).toBe(401);
    const body = (await plain.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("type");
    expect(body.error).toMatchObject({ message: expect.any(String), param: null });
  });
});

describe("errors are the SDK's classes, in Anthropic's envelope", () => {
  const failure = async (call: PromiseLike<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> => {
    try {
      await call;
    } catch (e) {
      return e as InstanceType<typeof Anthropic.APIError>;
    }
    throw new Error("the call succeeded");
  };

  test.each([
    ["wrong key", () => new Anthropic({ baseURL: gw.url, apiKey: "wrong", maxRetries: 0 }).messages.create({ model: "dummy-model:1.0", max_tokens: 8, messages: hello }), Anthropic.AuthenticationError, 401, "authentication_error"],
    ["unknown model", () => client.messages.create({ model: "nope", max_tokens: 8, messages: hello }), Anthropic.NotFoundError, 404, "not_found_error"],
    ["unknown model, count_tokens", () => client.messages.countTokens({ model: "nope", messages: hello }), Anthropic.NotFoundError, 404, "not_found_error"],
    ["missing max_tokens", () => client.messages.create({ model: "dummy-model:1.0", messages: hello } as never), Anthropic.BadRequestError, 400, "invalid_request_error"],
    ["server tool", () => client.messages.create({ model: "dummy-model:1.0", max_tokens: 8, messages: hello, tools: [{ type: "web_search_20250305", name: "web_search" }] }), Anthropic.BadRequestError, 400, "invalid_request_error"],
    ["client tool without input_schema", () => client.messages.create({ model: "dummy-model:1.0", max_tokens: 8, messages: hello, tools: [{ name: "look" } as never] }), Anthropic.BadRequestError, 400, "invalid_request_error"],
    ["thinking budget not below max_tokens", () => client.messages.create({ model: "dummy-model:1.0", max_tokens: 1024, thinking: { type: "enabled", budget_tokens: 1024 }, messages: hello }), Anthropic.BadRequestError, 400, "invalid_request_error"],
    ["thinking with a forced tool, streamed", () => client.messages.stream({ model: "dummy-model:1.0", max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 1024 }, tools: [{ name: "look", input_schema: { type: "object" } }], tool_choice: { type: "any" }, messages: hello }).finalMessage(), Anthropic.BadRequestError, 400, "invalid_request_error"],
  ] as const)("%s", async (_, call, cls, status, type) => {
    const e = await failure(call());
    expect(e).toBeInstanceOf(cls);
    expect(e.status).toBe(status);
    expect((e.error as { type: string; error: { type: string } })).toMatchObject({ type: "error", error: { type } });
  });

  test("every answer to an Anthropic client carries request-id (the SDK's requestID): the model list, an unknown path under /v1/messages, a refusal before any route", async () => {
    const asAnthropic = (key: string) => ({ "anthropic-version": "2023-06-01", "x-api-key": key });
    for (const [path, init, status] of [
      ["/v1/models", { headers: asAnthropic(KEY) }, 200],
      ["/v1/models", { headers: asAnthropic("wrong") }, 401],
      ["/v1/messages/batches", { method: "POST", headers: { ...asAnthropic(KEY), "content-type": "application/json" }, body: "{}" }, 404],
    ] as const) {
      const answer = await fetch(`${gw.url}${path}`, init as RequestInit);
      expect(answer.status).toBe(status);
      expect(answer.headers.get("request-id")).toBe(answer.headers.get("x-request-id"));
      expect(answer.headers.get("request-id")).toMatch(/^req_/);
    }
    const e = await failure(new Anthropic({ baseURL: gw.url, apiKey: "wrong", maxRetries: 0 }).models.list());
    expect(e.requestID).toMatch(/^req_/);
  });

  test("the server tool's 400 names it", async () => {
    const e = await failure(client.messages.create({ model: "dummy-model:1.0", max_tokens: 8, messages: hello, tools: [{ type: "web_search_20250305", name: "web_search" }] }));
    expect(e.message).toContain("web_search_20250305");
  });

  test("upstream unreachable → 529 overloaded_error; rate limited → 429 with Retry-After; time-out → 504 timeout_error (Anthropic's type for a 504)", async () => {
    scripted.queue.push({ chunks: [], error: new UpstreamUnavailableError("The upstream is unreachable.") });
    const overloaded = await failure(client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello }));
    expect([overloaded.status, (overloaded.error as any).error.type]).toEqual([529, "overloaded_error"]);

    scripted.queue.push({ chunks: [], error: new RateLimitError("Slow down.", { retryAfter: 3 }) });
    const limited = await failure(client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello }));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers?.get("retry-after")).toBe("3");

    scripted.queue.push({ chunks: [], error: new UpstreamTimeoutError("Timed out.") });
    const timeout = await failure(client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello, stream: true }));
    expect([timeout.status, (timeout.error as any).error.type]).toEqual([504, "timeout_error"]);
  });

  test("an upstream that says it is overloaded (its 529 or 503, a 502 on OpenAI's surfaces) is Anthropic's 529 overloaded_error, streamed or not", async () => {
    for (const stream of [false, true]) {
      scripted.queue.push({ chunks: [], error: Object.assign(new UpstreamError("The upstream openai is overloaded (HTTP 529): Overloaded"), { overloaded: true }) });
      const e = await failure(client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello, stream }));
      expect([e.status, (e.error as any).error.type]).toEqual([529, "overloaded_error"]);
    }
    scripted.queue.push({ chunks: [], error: Object.assign(new UpstreamError("The upstream openai is overloaded (HTTP 529): Overloaded"), { overloaded: true }) });
    const openai = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: SCRIPTED_MODEL, messages: hello }) });
    expect([openai.status, ((await openai.json()) as any).error.code]).toEqual([502, "upstream_error"]);
  });

  test("a failure after the stream started is an error event the SDK raises", async () => {
    scripted.queue.push({ chunks: [text("partial")], error: new UpstreamUnavailableError("The upstream went away.") });
    const e = await failure(client.messages.stream({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello }).finalMessage());
    expect(e).toBeInstanceOf(Anthropic.APIError);
    expect(String(e.message)).toContain("overloaded_error");
    // The event is Anthropic's ErrorResponse, its request_id the answer's.
    scripted.queue.push({ chunks: [text("partial")], error: new UpstreamUnavailableError("The upstream went away.") });
    const raw = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: JSON.stringify({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello, stream: true }) });
    const last = (await raw.text()).trim().split("\n\n").at(-1)!;
    expect(JSON.parse(last.slice(last.indexOf("data: ") + 6))).toEqual({ type: "error", error: { type: "overloaded_error", message: "The upstream went away." }, request_id: raw.headers.get("x-request-id") });
  });

  test("an internal failure is a 500 api_error that leaks nothing", async () => {
    scripted.queue.push({ chunks: [], error: new Error("db password hunter2 at /srv/app.ts:12") });
    const e = await failure(client.messages.create({ model: SCRIPTED_MODEL, max_tokens: 8, messages: hello }));
    expect([e.status, (e.error as any).error.type]).toEqual([500, "api_error"]);
    expect(JSON.stringify(e.error)).not.toContain("hunter2");
  });

  test("an unknown path under /v1/messages is a 404 in Anthropic's shape; anthropic headers are accepted", async () => {
    const response = await fetch(`${gw.url}/v1/messages/batches`, { method: "POST", headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01", "anthropic-beta": "message-batches-2024-09-24" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ type: "error", error: { type: "not_found_error", message: expect.any(String) }, request_id: response.headers.get("request-id") });
  });

  test("malformed JSON and a missing key answer in Anthropic's shape", async () => {
    const bad = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: "{not json" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    const anonymous = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ type: "error", error: { type: "authentication_error", message: expect.stringContaining("x-api-key") }, request_id: anonymous.headers.get("request-id") });
  });
});

describe("@ai-sdk/anthropic", () => {
  const provider = () => createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: KEY });

  test("generateText", async () => {
    const result = await generateText({ model: provider()("dummy-model:1.0"), prompt: "Hello", maxOutputTokens: 64, maxRetries: 0 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  test("streamText with thinking and text", async () => {
    scripted.queue.push({ chunks: [thinking("hmm"), text("Hi "), text("there", "stop")] });
    const result = streamText({ model: provider()(SCRIPTED_MODEL), prompt: "Hello", maxOutputTokens: 64, maxRetries: 0 });
    let streamed = "";
    for await (const delta of result.textStream) streamed += delta;
    expect(streamed).toBe("Hi there");
    expect(await result.reasoningText).toBe("hmm");
    expect(await result.finishReason).toBe("stop");
  });
});
