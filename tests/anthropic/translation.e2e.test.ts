import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../../plugins/dummy/index.ts";
import { type GeminiGateway, startGeminiGateway } from "../../plugins/gemini/__fixtures__/gemini-gateway.ts";
import { json, sse } from "../../plugins/gemini/__fixtures__/fake-gemini.ts";
import signedCall from "../../plugins/gemini/__fixtures__/generate-function-call-thought-signature.json";
import streamThinking from "../../plugins/gemini/__fixtures__/stream-thinking.events.json";
import { openAIHandler, sseResponse } from "../../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { TOOL_CALL_COMPLETION } from "../../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import openaiCompatible from "../../plugins/openai-compatible/index.ts";
import { startFakeServer, type FakeServer } from "../helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { fixture, json as ollamaJson, ollamaError } from "../ollama/fake-ollama.ts";
import { PNG, startOllamaE2E, type OllamaE2E } from "../ollama/e2e.ts";

/**
 * What each plugin's upstream receives for a Messages request, read from the fake upstreams: system,
 * images, tools, tool results with matching ids, stop sequences and thinking settings.
 */
const tools: Anthropic.Tool[] = [{ name: "get_weather", description: "Weather", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
const image = { type: "image" as const, source: { type: "base64" as const, media_type: "image/png" as const, data: PNG } };

function conversation(toolUseId: string): Anthropic.MessageParam[] {
  return [
    { role: "user", content: [{ type: "text", text: "Weather in Tokyo? Here is a photo." }, image] },
    { role: "assistant", content: [{ type: "text", text: "Checking." }, { type: "tool_use", id: toolUseId, name: "get_weather", input: { city: "Tokyo" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: toolUseId, content: "Sunny, 25C" }] },
  ];
}

describe("openai-compatible", () => {
  let fake: FakeServer;
  let gw: TestGateway;
  let client: Anthropic;
  beforeAll(async () => {
    fake = startFakeServer(openAIHandler);
    const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "up", base_url: `${fake.url}/v1`, api_key_env: "UP_KEY" }] } } });
    gw = await startTestGateway({ OLLAIX_CONFIG: config, UP_KEY: "k" }, [dummy, openaiCompatible]);
    client = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
    await fake.close();
  });

  test("the upstream receives OpenAI's chat body; its call id comes back as the toolu_ id and returns in the next turn", async () => {
    const first = await client.messages.create({
      model: "up/gpt-4o-mini", max_tokens: 4000, system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }], tools,
      tool_choice: { type: "auto", disable_parallel_tool_use: true }, stop_sequences: ["END"], temperature: 1, top_p: 0.95,
      thinking: { type: "enabled", budget_tokens: 2000 }, metadata: { user_id: "u-7" },
      messages: [{ role: "user", content: "Weather in Boston?" }],
      // With thinking on, Anthropic takes temperature 1 and top_p from 0.95 only (and no top_k): sent as it would be there.
      // `temperature` is still in Anthropic's API reference; this SDK version's types dropped it.
    } as Anthropic.MessageCreateParamsNonStreaming);
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(use.input).toEqual({ location: "Boston, MA" });
    expect(first.stop_reason).toBe("tool_use");
    expect(first.usage.input_tokens).toBe(TOOL_CALL_COMPLETION.usage.prompt_tokens);
    const body = fake.requests.at(-1)!.body as Record<string, unknown>;
    expect(body).toEqual({
      model: "gpt-4o-mini", max_tokens: 4000, temperature: 1, top_p: 0.95, stop: ["END"], user: "u-7", reasoning_effort: "low",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Boston?" }],
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather", parameters: tools[0]!.input_schema } }],
      tool_choice: "auto", parallel_tool_calls: false,
    });

    await client.messages.create({ model: "up/gpt-4o-mini", max_tokens: 100, tools, messages: conversation(use.id) });
    const next = fake.requests.at(-1)!.body as { messages: any[] };
    expect(next.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Tokyo? Here is a photo." }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
      { role: "assistant", content: "Checking.", tool_calls: [{ id: "call_abc123", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } }] },
      { role: "tool", tool_call_id: "call_abc123", content: "Sunny, 25C" },
    ]);
  });

  test("a call's extras (Gemini 3's thought signature through Google's OpenAI-compatible endpoint) come back on the next turn, streamed or not, with or without thinking", async () => {
    const extra = { google: { thought_signature: "SIG_G1" } };
    const call = { id: "call_g1", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' }, extra_content: extra };
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-g", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) => {
      if (request.path !== "/v1/chat/completions") return openAIHandler(request);
      if ((request.body as { stream?: boolean }).stream) return sseResponse([chunk({ role: "assistant", tool_calls: [{ index: 0, ...call }] }), chunk({}, "tool_calls")]);
      return Response.json({ id: "chatcmpl-g", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }] });
    });
    try {
      for (const stream of [false, true]) {
        const first = stream
          ? await client.messages.stream({ model: "up/gemini-3-pro", max_tokens: 100, tools, messages: [{ role: "user", content: "Weather in Tokyo?" }] }).finalMessage()
          : await client.messages.create({ model: "up/gemini-3-pro", max_tokens: 100, tools, messages: [{ role: "user", content: "Weather in Tokyo?" }] });
        const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
        expect(use.id).toMatch(/^toolu_[A-Za-z0-9_-]+$/);
        fake.handle(openAIHandler);
        await client.messages.create({ model: "up/gemini-3-pro", max_tokens: 100, tools, messages: conversation(use.id) });
        const next = fake.requests.at(-1)!.body as { messages: any[] };
        expect(next.messages[1].tool_calls).toEqual([{ id: "call_g1", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' }, extra_content: extra }]);
        expect(next.messages[2]).toEqual({ role: "tool", tool_call_id: "call_g1", content: "Sunny, 25C" });
        fake.handle((request) => {
          if (request.path !== "/v1/chat/completions") return openAIHandler(request);
          if ((request.body as { stream?: boolean }).stream) return sseResponse([chunk({ role: "assistant", tool_calls: [{ index: 0, ...call }] }), chunk({}, "tool_calls")]);
          return Response.json({ id: "chatcmpl-g", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }] });
        });
      }
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("an upstream's broken tool JSON (a local model's): the SDK's stream gets the object the non-streamed answer has, not a parse error; with the fine-grained beta or eager_input_streaming it gets the text as it came", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-b", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) =>
      request.path !== "/v1/chat/completions"
        ? openAIHandler(request)
        : sseResponse([
            chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city": ' } }] }),
            chunk({ tool_calls: [{ index: 0, function: { arguments: "Paris}" } }] }),
            chunk({}, "tool_calls"),
          ]),
    );
    const raw: string[] = [];
    try {
      const stream = client.messages.stream({ model: "up/gpt-4o-mini", max_tokens: 100, tools, messages: [{ role: "user", content: "Weather in Paris?" }] });
      const final = await stream.finalMessage();
      expect(final.content).toMatchObject([{ type: "tool_use", name: "get_weather", input: { arguments: '{"city": Paris}' } }]);
      expect(final.stop_reason).toBe("tool_use");
      // Asked for as Anthropic's fine-grained streaming: the deltas as the model wrote them (Anthropic warns they may be invalid JSON).
      const asked: { headers: Record<string, string>; tools: object[] }[] = [
        { headers: { "anthropic-beta": "fine-grained-tool-streaming-2025-05-14" }, tools },
        { headers: {}, tools: tools.map((t) => ({ ...t, eager_input_streaming: true })) },
      ];
      for (const eager of asked) {
        const answer = await fetch(`${gw.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": "x", "anthropic-version": "2023-06-01", ...eager.headers },
          body: JSON.stringify({ model: "up/gpt-4o-mini", max_tokens: 100, stream: true, tools: eager.tools, messages: [{ role: "user", content: "Weather?" }] }),
        });
        const text = await answer.text();
        raw.push(
          text
            .split("\n")
            .filter((line) => line.startsWith("data: ") && line.includes("input_json_delta"))
            .map((line) => JSON.parse(line.slice(6)).delta.partial_json)
            .join(""),
        );
      }
    } finally {
      fake.handle(openAIHandler);
    }
    expect(raw).toEqual(['{"city": Paris}', '{"city": Paris}']);
  });

  test("an upstream whose content is a list of parts (Mistral's Magistral): thinking and text blocks, streamed or not, not an empty turn", async () => {
    const parts = [{ type: "thinking", thinking: [{ type: "text", text: "Hmm." }] }, { type: "text", text: "Hello in parts" }];
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-p", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) => {
      if (request.path !== "/v1/chat/completions") return openAIHandler(request);
      if ((request.body as { stream?: boolean }).stream) return sseResponse([chunk({ role: "assistant", content: [parts[0]] }), chunk({ content: [parts[1]] }), chunk({}, "stop")]);
      return Response.json({ id: "chatcmpl-p", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: parts }, finish_reason: "stop" }] });
    });
    try {
      const asked = { model: "up/magistral-medium", max_tokens: 100, messages: [{ role: "user" as const, content: "Hi" }] };
      for (const message of [await client.messages.create(asked), await client.messages.stream(asked).finalMessage()]) {
        expect(message.content.map((block) => [block.type, block.type === "text" ? block.text : block.type === "thinking" ? block.thinking : ""])).toEqual([
          ["thinking", "Hmm."],
          ["text", "Hello in parts"],
        ]);
        expect(message.stop_reason).toBe("end_turn");
      }
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("structured outputs: output_config.format reaches the upstream as a json_schema response_format, output_config.effort as reasoning_effort", async () => {
    const schema = { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    fake.handle(() => Response.json({ id: "x", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: '{"city":"Paris"}' }, finish_reason: "stop" }] }));
    const message = await client.messages.create({
      model: "up/gpt-4o-mini",
      max_tokens: 100,
      messages: [{ role: "user", content: "Capital of France, as JSON." }],
      output_config: { format: { type: "json_schema", schema }, effort: "low" },
      tools: [{ name: "lookup", description: "Look a city up", input_schema: schema, strict: true }],
    });
    fake.handle(openAIHandler);
    expect(JSON.parse((message.content[0] as Anthropic.TextBlock).text)).toEqual({ city: "Paris" });
    expect((fake.requests.at(-1)!.body as { tools: { function: object }[] }).tools[0]!.function).not.toHaveProperty("strict");
    expect(fake.requests.at(-1)!.body).toMatchObject({
      response_format: { type: "json_schema", json_schema: { name: "output", schema } },
      reasoning_effort: "low",
      // `strict` stays behind: OpenAI's strict mode would refuse Anthropic's optional properties.
      tools: [{ type: "function", function: { name: "lookup", description: "Look a city up", parameters: schema } }],
    });
  });

  test("an upstream's refusal of the effort names the field it came from: output_config.effort, or thinking", async () => {
    const refusal = { error: { message: "Unsupported parameter: 'reasoning_effort' is not supported with this model.", type: "invalid_request_error", param: "reasoning_effort", code: "unsupported_parameter" } };
    fake.handle(() => Response.json(refusal, { status: 400 }));
    try {
      const ask = { model: "up/gpt-4o-mini", max_tokens: 2048, messages: [{ role: "user" as const, content: "Hi" }] };
      const byEffort = await client.messages.create({ ...ask, output_config: { effort: "high" } }).catch((e: unknown) => e);
      expect(byEffort).toBeInstanceOf(Anthropic.BadRequestError);
      expect((byEffort as InstanceType<typeof Anthropic.BadRequestError>).message).toContain("'output_config.effort'");
      const byThinking = await client.messages.create({ ...ask, thinking: { type: "enabled", budget_tokens: 1024 } }).catch((e: unknown) => e);
      expect((byThinking as InstanceType<typeof Anthropic.BadRequestError>).message).toContain("'thinking'");
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("a stream asks the upstream for its usage; the final message has the same usage as the complete answer, cache reads included", async () => {
    const usage = { prompt_tokens: 100, completion_tokens: 3, total_tokens: 103, prompt_tokens_details: { cached_tokens: 40 } };
    const piece = (delta: object, finish: string | null = null) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) =>
      (request.body as { stream?: boolean }).stream
        ? sseResponse([piece({ role: "assistant", content: "Hi" }), piece({ content: " there" }, "stop"), { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage }])
        : Response.json({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "Hi there" }, finish_reason: "stop" }], usage }),
    );
    const params = { model: "up/gpt-4o-mini", max_tokens: 50, messages: [{ role: "user" as const, content: "Hello" }] };
    const streamed = await client.messages.stream(params).finalMessage();
    expect(fake.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const whole = await client.messages.create(params);
    fake.handle(openAIHandler);
    expect(whole.usage).toMatchObject({ input_tokens: 60, output_tokens: 3, cache_read_input_tokens: 40 });
    expect(streamed.usage).toMatchObject({ input_tokens: 60, output_tokens: 3, cache_read_input_tokens: 40 });
  });

  test("the Vercel AI SDK's Anthropic provider sends a later system message in the conversation: it reaches the upstream in its place", async () => {
    const { createAnthropic } = await import("@ai-sdk/anthropic");
    const { generateText } = await import("ai");
    const anthropic = createAnthropic({ baseURL: `${gw.url}/v1`, apiKey: "x" });
    const { text } = await generateText({
      model: anthropic("up/gpt-4o-mini"),
      allowSystemInMessages: true,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello." },
        { role: "system", content: "Now answer in French." },
        { role: "user", content: "How are you?" },
      ],
    });
    expect(text).toBeString();
    expect((fake.requests.at(-1)!.body as { messages: unknown[] }).messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello." },
      { role: "system", content: "Now answer in French." },
      { role: "user", content: "How are you?" },
    ]);
  });

  test("overflows in the words Claude Code acts on: an upstream's context error starts 'prompt is too long'; a max_tokens over the model's context gives input + max_tokens > limit", async () => {
    fake.handle(() =>
      Response.json({ error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } }, { status: 400 }),
    );
    const overflow = await client.messages.create({ model: "up/gpt-4o-mini", max_tokens: 100, messages: [{ role: "user", content: "Hello" }] }).catch((e: unknown) => e);
    fake.handle(openAIHandler);
    expect(overflow).toMatchObject({ status: 400 });
    expect((overflow as Error).message).toContain("prompt is too long: 130000 tokens > 128000 maximum");
    // vLLM's answer to a max_tokens the context has no room for (Claude Code's 32000 on a 32k model): asked once, in the words that make Claude Code ask with less.
    fake.requests.length = 0;
    fake.handle(() =>
      Response.json(
        { object: "error", message: "'max_tokens' or 'max_completion_tokens' is too large: 32000. This model's maximum context length is 32768 tokens and your request has 2778 input tokens (32000 > 32768 - 2778). None", type: "BadRequestError", param: null, code: 400 },
        { status: 400 },
      ),
    );
    const noRoom = await client.messages.create({ model: "up/gpt-4o-mini", max_tokens: 32000, stream: true, messages: [{ role: "user", content: "Hello" }] }).catch((e: unknown) => e);
    expect(noRoom).toMatchObject({ status: 400 });
    expect((noRoom as Error).message).toContain("input length and `max_tokens` exceed context limit: 2778 + 32000 > 32768");
    expect(fake.requests.filter((r) => r.path.endsWith("/chat/completions"))).toHaveLength(1);
    fake.handle(openAIHandler);
    // dummy-model:1.0 lists a context length of 8192.
    const tooMany = await client.messages.create({ model: "dummy-model:1.0", max_tokens: 20000, messages: [{ role: "user", content: "Hello" }] }).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ status: 400 });
    expect((tooMany as Error).message).toMatch(/input length and `max_tokens` exceed context limit: \d+ \+ 20000 > 8192, decrease input length or `max_tokens` and try again/);
  });

  test("a vLLM-style matched stop string is stop_sequence", async () => {
    fake.handle(() => Response.json({ id: "x", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "done" }, finish_reason: "stop", stop_reason: "END" }] }));
    const m = await client.messages.create({ model: "up/m", max_tokens: 10, stop_sequences: ["END"], messages: [{ role: "user", content: "x" }] });
    expect([m.stop_reason, m.stop_sequence]).toEqual(["stop_sequence", "END"]);
    fake.handle(openAIHandler);
  });

  test("an upstream refusal (OpenAI's refusal field) is its text with stop_reason refusal, streamed and not", async () => {
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason }] });
    fake.handle((request) =>
      (request.body as { stream?: boolean }).stream
        ? sseResponse([chunk({ role: "assistant", content: null, refusal: "" }), chunk({ refusal: "I can't " }), chunk({ refusal: "help." }), chunk({}, "stop")])
        : Response.json({ id: "x", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help." }, finish_reason: "stop" }] }),
    );
    try {
      const params = { model: "up/m", max_tokens: 10, messages: [{ role: "user" as const, content: "Something forbidden" }] };
      const whole = await client.messages.create(params);
      expect([whole.content, whole.stop_reason]).toEqual([[{ type: "text", text: "I can't help.", citations: null } as never], "refusal"]);
      const streamed = await client.messages.stream(params).finalMessage();
      expect(streamed.content).toEqual([expect.objectContaining({ type: "text", text: "I can't help." })]);
      expect(streamed.stop_reason).toBe("refusal");
    } finally {
      fake.handle(openAIHandler);
    }
  });
});

describe("ollama", () => {
  let e2e: OllamaE2E;
  let client: Anthropic;
  beforeAll(async () => {
    e2e = await startOllamaE2E();
    client = new Anthropic({ baseURL: e2e.gw.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(() => e2e.close());

  test("system, images (base64 and url, loaded by the gateway), tools, tool results by name, stop, top_p, thinking → think", async () => {
    e2e.fake.handle(async (request) => (request.path === "/api/chat" ? ollamaJson(fixture("chat-thinking.json")) : undefined) ?? new Response("", { status: 404 }));
    const convo = conversation("toolu_01ClientMade");
    (convo[0]!.content as Anthropic.ContentBlockParam[]).push({ type: "image", source: { type: "url", url: `${e2e.images.url}/cat.png` } });
    const m = await client.messages.create({ model: "llama3.2:latest", max_tokens: 50, system: "Be brief.", tools, stop_sequences: ["\n\n"], thinking: { type: "enabled", budget_tokens: 20000 }, messages: convo, top_p: 0.96 } as never, { headers: { "anthropic-beta": "interleaved-thinking-2025-05-14" } });
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    expect(m.usage).toMatchObject({ input_tokens: 26, output_tokens: 298 });
    const body = e2e.chatBodies().at(-1)!;
    expect(body).toMatchObject({
      model: "llama3.2:latest",
      think: true,
      options: { num_predict: 50, stop: ["\n\n"], top_p: 0.96 },
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Tokyo? Here is a photo.", images: [PNG, PNG] },
        { role: "assistant", content: "Checking.", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Tokyo" } } }] },
        { role: "tool", content: "Sunny, 25C", tool_name: "get_weather" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: tools[0]!.input_schema } }],
    });
    expect(e2e.images.requests.length).toBe(1);
    e2e.reset();
  });

  test("an Ollama too busy to take the call (503, OLLAMA_MAX_QUEUE) is Anthropic's 529 overloaded_error, which its clients retry; streamed too", async () => {
    e2e.fake.handle(async (request) => (request.path === "/api/chat" ? ollamaError(503, "server busy, please try again.  maximum pending requests exceeded") : new Response("", { status: 404 })));
    for (const stream of [false, true]) {
      const e = await client.messages.create({ model: "llama3.2:latest", max_tokens: 50, messages: [{ role: "user", content: "hi" }], stream }).then(() => undefined, (error: unknown) => error);
      expect(e).toBeInstanceOf(Anthropic.APIError);
      const failure = e as InstanceType<typeof Anthropic.APIError>;
      expect([failure.status, (failure.error as { error: { type: string } }).error.type]).toEqual([529, "overloaded_error"]);
      expect((failure.error as { error: { message: string } }).error.message).toContain("server busy");
    }
    e2e.reset();
  });

  test("a url image goes through the core's loader: one it cannot load is a 400 in Anthropic's shape", async () => {
    // This gateway allows private addresses (its image server is on loopback); the private-address
    // guard is the same loader's, tested below with a gateway that does not.
    const e = await client.messages.create({ model: "llama3.2:latest", max_tokens: 5, messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: `${e2e.images.url}/nope.png` } }] }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.BadRequestError);
    expect((e.error as any).type).toBe("error");
  });

  test("the loader's error names the client's own block: the system prompt and a tool result's image shift the chat indexes, not these", async () => {
    const before = e2e.chatBodies().length;
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: "What is the weather?" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_01", name: "weather", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01", content: [{ type: "image", source: { type: "url", url: `${e2e.images.url}/cat.png` } }] },
          { type: "text", text: "And this one?" },
          { type: "image", source: { type: "url", url: `${e2e.images.url}/nope.png` } },
        ],
      },
    ];
    // In chat terms the bad image is messages[4].content[2] (system first, the tool result its own message, its image leading).
    for (const stream of [false, true]) {
      const e = await client.messages.create({ model: "llama3.2:latest", max_tokens: 5, system: "Be brief.", messages, stream }).catch((x) => x);
      expect(e).toBeInstanceOf(Anthropic.BadRequestError);
      const message = String((e.error as any).error.message);
      expect(message).toContain("'messages[2].content[2].source'");
      expect(message).not.toContain("image_url");
    }
    expect(e2e.chatBodies().length).toBe(before);
  });
});

describe("gemini", () => {
  let g: GeminiGateway;
  let client: Anthropic;
  beforeAll(async () => {
    g = await startGeminiGateway();
    client = new Anthropic({ baseURL: g.gw.url, apiKey: "x", maxRetries: 0 });
  });
  afterAll(() => g.close());
  const SIGNATURE = signedCall.candidates[0]!.content.parts[0]!.thoughtSignature;

  test("thought signatures survive a two-turn tool loop through /v1/messages", async () => {
    g.upstream.reset();
    g.upstream.answer(() => json(signedCall));
    const flightTools: Anthropic.Tool[] = [{ name: "check_flight", input_schema: { type: "object", properties: { flight: { type: "string" } } } }];
    const first = await client.messages.create({ model: "gemini/gemini-3-pro-preview", max_tokens: 200, tools: flightTools, messages: [{ role: "user", content: "Is AA100 on time?" }] });
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
    expect(use.input).toEqual({ flight: "AA100" });
    g.upstream.answer(() => json({ candidates: [{ content: { parts: [{ text: "On time." }], role: "model" }, finishReason: "STOP", index: 0 }] }));
    const second = await client.messages.create({
      model: "gemini/gemini-3-pro-preview", max_tokens: 200, tools: flightTools,
      messages: [{ role: "user", content: "Is AA100 on time?" }, { role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: '{"status":"on time"}' }] }],
    });
    expect(second.content).toEqual([{ type: "text", text: "On time.", citations: null }] as never);
    const sent = g.upstream.calls("gemini-3-pro-preview:generateContent").at(-1)!.body as { contents: unknown[] };
    expect(sent.contents).toEqual([
      { role: "user", parts: [{ text: "Is AA100 on time?" }] },
      { role: "model", parts: [{ functionCall: { name: "check_flight", args: { flight: "AA100" } }, thoughtSignature: SIGNATURE }] },
      { role: "user", parts: [{ functionResponse: { name: "check_flight", response: { status: "on time" } } }] },
    ]);
  });

  test("thinking budget → thinkingConfig.thinkingBudget (2.x); streamed thoughts are a thinking block; message_start has Gemini's prompt count", async () => {
    g.upstream.reset();
    g.upstream.answer(() => sse(streamThinking));
    const stream = client.messages.stream({ model: "gemini-2.5-pro", max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 3000 }, system: "Be exact. ".repeat(400), stop_sequences: ["STOP"], messages: [{ role: "user", content: "Sum the first four primes." }] });
    const started: number[] = [];
    stream.on("streamEvent", (event) => void (event.type === "message_start" && started.push(event.message.usage.input_tokens)));
    const m = await stream.finalMessage();
    // Gemini's own count (12) from its first event, not the gateway's estimate of the long system prompt.
    expect([started, m.usage.input_tokens]).toEqual([[12], 12]);
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    expect(m.usage.output_tokens).toBe(124);
    const body = g.upstream.calls("gemini-2.5-pro:streamGenerateContent").at(-1)!.body as any;
    expect(body.generationConfig).toMatchObject({ maxOutputTokens: 4000, stopSequences: ["STOP"], thinkingConfig: { thinkingBudget: 3000, includeThoughts: true } });
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be exact. ".repeat(400) }] });
  });

  test("count_tokens is Gemini's own countTokens, with system and tools", async () => {
    g.upstream.reset();
    g.upstream.answer((r) => (r.path.endsWith(":countTokens") ? json({ totalTokens: 4321 }) : undefined));
    const counted = await client.messages.countTokens({ model: "gemini-2.5-flash", system: "Be brief.", tools, messages: [{ role: "user", content: "Hello" }] });
    expect(counted.input_tokens).toBe(4321);
    const body = g.upstream.calls("gemini-2.5-flash:countTokens")[0]!.body as any;
    expect(body.generateContentRequest.model).toBe("models/gemini-2.5-flash");
    expect(body.generateContentRequest.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    expect(body.generateContentRequest.tools[0].functionDeclarations[0].name).toBe("get_weather");
  });

  test("a tool_result that answers no call of the turn before is a 400 naming its tool_use_id, in Anthropic's words, on count_tokens and messages, before any provider", async () => {
    g.upstream.reset();
    // In chat terms it is messages[1].tool_call_id (the system prompt comes first); the client's block is messages[0].content[1].
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: [{ type: "text", text: "Here is the result." }, { type: "tool_result", tool_use_id: "toolu_unknown", content: "18C" }] },
    ];
    const counting = await client.messages.countTokens({ model: "gemini-2.5-flash", system: "Be brief.", messages }).catch((x) => x);
    const creating = await client.messages.create({ model: "gemini-2.5-flash", max_tokens: 5, system: "Be brief.", messages }).catch((x) => x);
    for (const e of [counting, creating]) {
      expect(e).toBeInstanceOf(Anthropic.BadRequestError);
      expect(String((e.error as any).error.message)).toContain("messages[0].content[1].tool_use_id: unexpected `tool_use_id` found in `tool_result` blocks: toolu_unknown.");
    }
    expect(g.upstream.calls(":countTokens")).toHaveLength(0);
    expect(g.upstream.calls(":generateContent")).toHaveLength(0);
  });

  test("count_tokens for an unknown Gemini model is 404 not_found_error", async () => {
    g.upstream.reset();
    const e = await client.messages.countTokens({ model: "gemini/gemini-9.9-ultra", messages: [{ role: "user", content: "x" }] }).catch((x) => x);
    expect(e).toBeInstanceOf(Anthropic.NotFoundError);
    expect((e.error as any).error.type).toBe("not_found_error");
  });
});

describe("the core's image guard applies to Anthropic url images", () => {
  test("a url on a loopback address is refused (IMAGE_FETCH_ALLOW_PRIVATE unset), never fetched", async () => {
    const e2e = await startOllamaE2E();
    const guarded = await startTestGateway({ OLLAMA_BASE_URL: e2e.fake.url }, [dummy, (await import("../../plugins/ollama/index.ts")).default]);
    try {
      const client = new Anthropic({ baseURL: guarded.url, apiKey: "x", maxRetries: 0 });
      const e = await client.messages.create({ model: "llama3.2:latest", max_tokens: 5, messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: `${e2e.images.url}/cat.png` } }] }] }).catch((x) => x);
      expect(e).toBeInstanceOf(Anthropic.BadRequestError);
      expect(String((e.error as any).error.message)).toContain("private");
      expect(e2e.images.requests.length).toBe(0);
    } finally {
      await guarded.close();
      await e2e.close();
    }
  });
});
