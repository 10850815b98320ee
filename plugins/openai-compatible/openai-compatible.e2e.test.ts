import { beforeAll, describe, expect, test } from "bun:test";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { jsonPost, parseSseBody, startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import dummy from "../dummy/index.ts";
import { jsonResponse, openAIHandler, sentHeaders, sseResponse, UNLISTED_MODEL, resetBetweenTests } from "./__fixtures__/fake-openai.ts";
import { COMPLETION, MODEL_LIST, TEXT_CHUNKS, TEXT_CHUNKS_WITH_USAGE, USAGE } from "./__fixtures__/openai-wire.ts";
import { abortOf, writeConfigFile } from "./__fixtures__/test-env.ts";
import openaiCompatible from "./index.ts";

/**
 * Ollaix on a real port with a `groq` upstream (a fake OpenAI server on loopback), driven by the
 * official openai SDK. The fake records what the gateway sent, so the tests compare exact bodies
 * and headers.
 */
const KEY_ENV = "OC_E2E_GROQ_KEY";
const KEY = "gsk-e2e-instance-key-0042";
const CLIENT_KEY = "client-own-key-9999";
let fake: FakeServer;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  const config = writeConfigFile(
    { plugins: { "openai-compatible": { upstreams: [{ name: "groq", base_url: `${fake.url}/v1`, api_key_env: KEY_ENV, headers: { "HTTP-Referer": "https://ollaix.test" } }] } } },
    "ollaix.yaml",
  );
  gw = await startTestGateway({ OLLAIX_CONFIG: config, [KEY_ENV]: KEY }, [dummy, openaiCompatible]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
});
resetBetweenTests(() => fake, () => gw);

const messages = [{ role: "user" as const, content: "Say hello" }];
const requestHeaders = (requestId: string, hops = "1") => ({
  accept: "application/json",
  "content-type": "application/json",
  authorization: `Bearer ${KEY}`,
  "http-referer": "https://ollaix.test",
  "x-ollaix-hops": hops,
  "x-request-id": requestId,
});

describe("discovery", () => {
  test("the upstream's models are listed under the instance, created as it gives it", async () => {
    const page = await client.models.list();
    const listed = page.data.filter((m) => m.owned_by === "groq");
    expect(listed).toEqual(MODEL_LIST.data.map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: "groq" })));
  });

  test("an id the upstream does not list is asked for with GET /models/{id}: 200 when it has it, else 404", async () => {
    expect(await client.models.retrieve(`groq/${UNLISTED_MODEL}`)).toMatchObject({ id: `groq/${UNLISTED_MODEL}`, owned_by: "groq" });
    const missing = await client.models.retrieve("groq/totally-made-up").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: "model_not_found" });
    const asked = fake.requests.filter((r) => r.path.startsWith("/v1/models/")).map((r) => r.path);
    expect(asked).toEqual([`/v1/models/${UNLISTED_MODEL}`, "/v1/models/totally-made-up"]);
    expect(sentHeaders(fake.requests.find((r) => r.path === "/v1/models/totally-made-up")!).authorization).toBe(`Bearer ${KEY}`);
  });

  test("an id of . or .. is no model, and asks the upstream nothing (a probe: the lookup's URL climbed to GET /v1/ with the key)", async () => {
    const before = fake.requests.length;
    for (const id of ["groq%2F..", "groq%2F."]) {
      const answer = await fetch(`${gw.url}/v1/models/${id}`);
      expect(answer.status).toBe(404);
    }
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual([]);
  });

  test("GET /models went out with the key, the configured header and x-ollaix-hops: 1", async () => {
    await gw.gateway.registry.refresh(gw.gateway.registry.providers.find((p) => p.name === "groq")!, { logger: gw.gateway.logger, upstreamHeaders: { "x-ollaix-hops": "1" } }, 3000);
    const [sent] = fake.requests;
    expect(`${sent!.method} ${sent!.path}`).toBe("GET /v1/models");
    expect(sentHeaders(sent!)).toEqual({ accept: "application/json", authorization: `Bearer ${KEY}`, "http-referer": "https://ollaix.test", "x-ollaix-hops": "1" });
  });
});

describe("chat completions, non-stream", () => {
  test("the upstream's answer with its extras; model is the id the client asked for", async () => {
    const { data, response } = await client.chat.completions.create({ model: "gpt-4o-mini", messages, max_tokens: 50 }).withResponse();
    expectOpenAI("CreateChatCompletionResponse", data);
    const { created, ...rest } = data;
    expect(rest).toEqual({ ...COMPLETION, created: undefined, model: "gpt-4o-mini" } as never);
    expect(created).toBeGreaterThan(COMPLETION.created);
    const [sent] = fake.requests;
    expect(sent!.body).toEqual({ model: "gpt-4o-mini", messages, max_tokens: 50 });
    expect(sentHeaders(sent!)).toEqual(requestHeaders(response.headers.get("x-request-id")!));
  });

  test("an unlisted id through the instance prefix reaches the upstream without it", async () => {
    const completion = await client.chat.completions.create({ model: "groq/llama-3", messages });
    expect(completion.model).toBe("groq/llama-3");
    expect((fake.requests[0]!.body as { model: string }).model).toBe("llama-3");
  });

  test("OpenAI's own features (web search, moderation, audio) reach an OpenAI-compatible upstream as sent: its to honour or refuse", async () => {
    await client.chat.completions.create({ model: "gpt-4o-mini", messages, web_search_options: { search_context_size: "low" }, modalities: ["text", "audio"], audio: { voice: "alloy", format: "wav" } });
    expect(fake.requests.at(-1)!.body).toMatchObject({ web_search_options: { search_context_size: "low" }, modalities: ["text", "audio"], audio: { voice: "alloy", format: "wav" } });
  });

  test("unknown extra fields reach the upstream untouched, at every level", async () => {
    const body = {
      model: "groq/llama-3",
      messages: [{ role: "user", content: "hi", cache_control: { type: "ephemeral" } }],
      top_k: 40,
      repetition_penalty: 1.1,
      logprobs: true,
      top_logprobs: 2,
      parallel_tool_calls: false,
      provider: { order: ["groq"], allow_fallbacks: false },
      stream: false,
    };
    await client.chat.completions.create(body as never);
    expect(fake.requests[0]!.body).toEqual({ ...body, model: "llama-3" });
  });

  test("the client's Authorization and other headers stay behind; its x-request-id and hop count go on", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      ...jsonPost({ model: "groq/llama-3", messages }),
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${CLIENT_KEY}`,
        "x-request-id": "client-chosen-id",
        "x-ollaix-hops": "2",
        "openai-organization": "org-client",
        cookie: "session=1",
      },
    });
    expect(response.status).toBe(200);
    expect(sentHeaders(fake.requests[0]!)).toEqual(requestHeaders("client-chosen-id", "3"));
    expect(JSON.stringify(fake.requests[0]!.headers)).not.toContain(CLIENT_KEY);
  });

  test("a tool call round trip: tools out, tool_calls back, the tool result out as sent", async () => {
    const tools = [{ type: "function" as const, function: { name: "get_current_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } }];
    const first = await client.chat.completions.create({ model: "gpt-4o-mini", messages, tools, tool_choice: "auto" });
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call).toEqual({ id: "call_abc123", type: "function", function: { name: "get_current_weather", arguments: '{\n"location": "Boston, MA"\n}' } });
    const followUp = [
      ...messages,
      { role: "assistant" as const, content: null, tool_calls: [call] },
      { role: "tool" as const, tool_call_id: call.id, content: '{"temperature": 22}' },
    ];
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: followUp, tools });
    expect(fake.requests[1]!.body).toEqual({ model: "gpt-4o-mini", messages: followUp, tools });
  });
});

describe("chat completions, stream", () => {
  async function collect(params: Record<string, unknown>) {
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true, ...params } as never);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) chunks.push(chunk);
    return chunks;
  }

  test("each upstream chunk once, with its extras, the gateway's id and the asked-for model", async () => {
    const chunks = await collect({ model: "groq/llama-3" });
    for (const chunk of chunks) expectOpenAI("CreateChatCompletionStreamResponse", chunk);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.map((c) => c.model)).toEqual(TEXT_CHUNKS.map(() => "groq/llama-3"));
    expect(chunks.map((c) => c.system_fingerprint)).toEqual(TEXT_CHUNKS.map(() => "fp_44709d6fcb"));
    expect(chunks.map((c) => c.choices)).toEqual(TEXT_CHUNKS.map((c) => c.choices) as never);
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    // Usage is asked for upstream (the key's limits and the metrics count the provider's figures), not shown to a client that did not ask.
    expect(fake.requests[0]!.body).toEqual({ model: "llama-3", messages, stream: true, stream_options: { include_usage: true } });
  });

  test("on the wire: each event names id/object/created/model once, the gateway's, never the upstream's", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages, stream: true }));
    const events = parseSseBody(await response.text());
    expect(events.at(-1)).toBe("[DONE]");
    for (const event of events.slice(0, -1)) {
      for (const key of ["id", "object", "created", "model"]) expect(event.split(`"${key}":`)).toHaveLength(2);
      expect(event).not.toContain("chatcmpl-123");
      expect(event).not.toContain("1694268190");
      expect(event).toContain('"model":"gpt-4o-mini"');
    }
  });

  test("the usage chunk arrives only when asked for", async () => {
    const asked = await collect({ stream_options: { include_usage: true } });
    expect(asked.at(-1)).toMatchObject({ choices: [], usage: USAGE });
    expect(asked.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(fake.requests[0]!.body).toEqual({ model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true } });

    // Some servers (vLLM with --enable-force-include-usage) send usage unasked: it is held back.
    fake.handle(() => sseResponse(TEXT_CHUNKS_WITH_USAGE));
    const unasked = await collect({});
    expect(unasked).toHaveLength(TEXT_CHUNKS.length);
    expect(unasked.some((c) => c.usage != null || c.choices.length === 0)).toBe(false);
  });

  test("tool call deltas pass through with their index; the SDK assembles the call", async () => {
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object" } } }];
    const chunks = await collect({ tools });
    expect(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])).toEqual([
      { index: 0, id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 0, function: { arguments: '{"' } },
      { index: 0, function: { arguments: 'location":"' } },
      { index: 0, function: { arguments: 'Paris, France"}' } },
    ]);
    const final = await client.chat.completions.stream({ model: "gpt-4o-mini", messages, tools }).finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.choices[0]!.message.tool_calls![0]).toMatchObject({ type: "function", function: { name: "get_weather", arguments: '{"location":"Paris, France"}' } });
  });

  test("tool call deltas without an index (Google's OpenAI-compatible endpoint) are numbered: two calls stay two, on every surface", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-g", object: "chat.completion.chunk", created: 1, model: "gemini", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) =>
      request.path === "/v1/chat/completions" && (request.body as { stream?: boolean }).stream
        ? sseResponse([
            chunk({ role: "assistant", tool_calls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] }),
            chunk({ tool_calls: [{ id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] }),
            chunk({ tool_calls: [{ function: { arguments: '"Oslo"}' } }] }),
            chunk({}, "tool_calls"),
          ])
        : openAIHandler(request),
    );
    try {
      const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object" } } }];
      const final = await client.chat.completions.stream({ model: "gpt-4o-mini", messages, tools }).finalChatCompletion();
      expect(final.choices[0]!.message.tool_calls!.map((c) => [c.id, (c as { function: { arguments: string } }).function.arguments])).toEqual([
        ["call_a", '{"city":"Paris"}'],
        ["call_b", '{"city":"Oslo"}'],
      ]);
      const stream = await client.responses.create({ model: "gpt-4o-mini", input: "Weather?", tools: [{ type: "function", name: "get_weather", parameters: { type: "object" }, strict: false }], stream: true, store: false });
      const calls: string[] = [];
      for await (const event of stream) if (event.type === "response.output_item.done" && event.item.type === "function_call") calls.push(event.item.arguments);
      expect(calls).toEqual(['{"city":"Paris"}', '{"city":"Oslo"}']);
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("parallel calls all sent on index 0 (proxies in front of Gemini), each opening with its id and name, stay apart; a delta repeating its id continues its call", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-z", object: "chat.completion.chunk", created: 1, model: "gemini", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) =>
      request.path === "/v1/chat/completions" && (request.body as { stream?: boolean }).stream
        ? sseResponse([
            chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "run", arguments: '{"command":' } }] }),
            chunk({ tool_calls: [{ index: 0, id: "call_1", function: { arguments: '"a"}' } }] }),
            chunk({ tool_calls: [{ index: 0, id: "call_2", type: "function", function: { name: "run", arguments: '{"command":"b"}' } }] }),
            chunk({ tool_calls: [{ index: 1, id: "call_3", type: "function", function: { name: "run", arguments: '{"command":' } }] }),
            chunk({ tool_calls: [{ index: 1, function: { arguments: '"c"}' } }] }),
            chunk({}, "tool_calls"),
          ])
        : openAIHandler(request),
    );
    try {
      const tools = [{ type: "function" as const, function: { name: "run", parameters: { type: "object" } } }];
      const final = await client.chat.completions.stream({ model: "gpt-4o-mini", messages, tools }).finalChatCompletion();
      expect(final.choices[0]!.message.tool_calls!.map((c) => [c.id, (c as { function: { arguments: string } }).function.arguments])).toEqual([
        ["call_1", '{"command":"a"}'],
        ["call_2", '{"command":"b"}'],
        ["call_3", '{"command":"c"}'],
      ]);
      const stream = await client.responses.create({ model: "gpt-4o-mini", input: "Run them.", tools: [{ type: "function", name: "run", parameters: { type: "object" }, strict: false }], stream: true, store: false });
      const calls: [string, string][] = [];
      for await (const event of stream) if (event.type === "response.output_item.done" && event.item.type === "function_call") calls.push([event.item.call_id, event.item.arguments]);
      expect(calls).toEqual([
        ["call_1", '{"command":"a"}'],
        ["call_2", '{"command":"b"}'],
        ["call_3", '{"command":"c"}'],
      ]);
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("calls of one answer that share an id (a server numbering every call call_0) each get their own, streamed and not; Anthropic's tool_use ids differ too", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-d", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    const call = (index: number, command: string) => ({ index, id: "call_0", type: "function", function: { name: "run", arguments: `{"command":"${command}"}` } });
    fake.handle((request) => {
      if (request.path !== "/v1/chat/completions") return openAIHandler(request);
      if (!(request.body as { stream?: boolean }).stream) {
        const message = { role: "assistant", content: null, tool_calls: [call(0, "a"), call(1, "b")].map(({ index: _, ...c }) => c) };
        return jsonResponse({ ...COMPLETION, choices: [{ index: 0, message, finish_reason: "tool_calls" }] });
      }
      return sseResponse([chunk({ role: "assistant", tool_calls: [call(0, "a")] }), chunk({ tool_calls: [call(1, "b")] }), chunk({}, "tool_calls")]);
    });
    try {
      const tools = [{ type: "function" as const, function: { name: "run", parameters: { type: "object" } } }];
      const whole = await client.chat.completions.create({ model: "gpt-4o-mini", messages, tools });
      expect(whole.choices[0]!.message.tool_calls!.map((c) => c.id)).toEqual(["call_0", "call_0_2"]);
      const streamed = await client.chat.completions.stream({ model: "gpt-4o-mini", messages, tools }).finalChatCompletion();
      expect(streamed.choices[0]!.message.tool_calls!.map((c) => c.id)).toEqual(["call_0", "call_0_2"]);
      for (const stream of [false, true]) {
        const answer = await fetch(`${gw.url}/v1/messages`, jsonPost({ model: "gpt-4o-mini", max_tokens: 64, stream, messages, tools: [{ name: "run", input_schema: { type: "object" } }] }));
        const text = await answer.text();
        const ids = stream
          ? text.split("\n\n").filter((frame) => frame.includes("data: ")).map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + 6))).filter((e) => e.type === "content_block_start").map((e) => e.content_block.id)
          : (JSON.parse(text).content as { id: string }[]).map((block) => block.id);
        expect(ids).toHaveLength(2);
        expect(new Set(ids).size).toBe(2);
      }
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("a call with no arguments ('' from llama.cpp or vLLM) has '{}', as OpenAI gives it, streamed and not, on every surface", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-e", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) => {
      if (request.path !== "/v1/chat/completions") return openAIHandler(request);
      if ((request.body as { stream?: boolean }).stream) {
        return sseResponse([
          chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_now", type: "function", function: { name: "now", arguments: "" } }] }),
          chunk({ tool_calls: [{ index: 1, id: "call_city", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }] }),
          chunk({}, "tool_calls"),
        ]);
      }
      return jsonResponse({
        id: "chatcmpl-e", object: "chat.completion", created: 1, model: "m",
        choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: "call_now", type: "function", function: { name: "now", arguments: "" } }] } }],
      });
    });
    try {
      const tools = [{ type: "function" as const, function: { name: "now", parameters: { type: "object" } } }, { type: "function" as const, function: { name: "weather", parameters: { type: "object" } } }];
      const whole = await client.chat.completions.create({ model: "gpt-4o-mini", messages, tools });
      expect((whole.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments).toBe("{}");
      const streamed = await client.chat.completions.stream({ model: "gpt-4o-mini", messages, tools }).finalChatCompletion();
      expect(streamed.choices[0]!.message.tool_calls!.map((c) => (c as { function: { arguments: string } }).function.arguments)).toEqual(["{}", '{"city":"Oslo"}']);
      const responses = await client.responses.create({ model: "gpt-4o-mini", input: "Now?", tools: [{ type: "function", name: "now", parameters: { type: "object" }, strict: false }, { type: "function", name: "weather", parameters: { type: "object" }, strict: false }], stream: true, store: false });
      const done: string[] = [];
      let deltas = "";
      for await (const event of responses) {
        if (event.type === "response.function_call_arguments.delta" && event.output_index === 0) deltas += event.delta;
        if (event.type === "response.output_item.done" && event.item.type === "function_call") done.push(event.item.arguments);
      }
      expect(done).toEqual(["{}", '{"city":"Oslo"}']);
      expect(deltas).toBe("{}"); // the deltas add up to the item's arguments
    } finally {
      fake.handle(openAIHandler);
    }
    // A call that comes whole with the answer's end: its own entry says "{}", one entry a call (the legacy form reads the first).
    fake.handle((request) =>
      request.path === "/v1/chat/completions" && (request.body as { stream?: boolean }).stream
        ? sseResponse([{ id: "chatcmpl-w", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_now", type: "function", function: { name: "now", arguments: "" } }] }, finish_reason: "tool_calls" }] }])
        : openAIHandler(request),
    );
    try {
      const raw = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages, stream: true, tools: [{ type: "function", function: { name: "now" } }] }));
      const deltas = parseSseBody(await raw.text()).filter((d) => d !== "[DONE]").flatMap((d) => (JSON.parse(d) as { choices: { delta: { tool_calls?: unknown[] } }[] }).choices[0]?.delta.tool_calls ?? []);
      expect(deltas).toEqual([{ index: 0, id: "call_now", type: "function", function: { name: "now", arguments: "{}" } }]);
      const legacy = await client.chat.completions.stream({ model: "gpt-4o-mini", messages, functions: [{ name: "now", parameters: { type: "object" } }] }).finalChatCompletion();
      expect(legacy.choices[0]!.message.function_call).toEqual({ name: "now", arguments: "{}" });
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("an upstream's reasoning under `reasoning` (OpenRouter, Groq, vLLM) is the answer's reasoning too, streamed and not", async () => {
    const chunk = (delta: object, finish: string | null = null) => ({ id: "chatcmpl-r", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
    fake.handle((request) => {
      if (request.path !== "/v1/chat/completions") return openAIHandler(request);
      if ((request.body as { stream?: boolean }).stream) return sseResponse([chunk({ role: "assistant", reasoning: "Think first." }), chunk({ content: "Answer." }), chunk({}, "stop")]);
      return jsonResponse({ id: "chatcmpl-r", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Answer.", reasoning: "Think first." } }] });
    });
    try {
      const whole = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false });
      expect(whole.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
      expect((whole.output[0] as { summary: { text: string }[] }).summary[0]!.text).toBe("Think first.");
      const streamed = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, stream: true });
      let reasoning = "";
      for await (const event of streamed) if (event.type === "response.reasoning_summary_text.delta") reasoning += event.delta;
      expect(reasoning).toBe("Think first.");
    } finally {
      fake.handle(openAIHandler);
    }
  });

  test("an error event inside the upstream stream becomes the SSE error event", async () => {
    const event = { error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } };
    fake.handle(() => sseResponse([...TEXT_CHUNKS.slice(0, 2), event], { done: false }));
    const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages, stream: true }));
    expect(response.status).toBe(200);
    const events = parseSseBody(await response.text());
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2]!)).toEqual({
      error: { message: `The upstream groq failed: ${event.error.message}`, type: "api_error", param: null, code: "upstream_error" },
    });

    const limited = { error: { message: "Rate limit reached", type: "tokens", code: "rate_limit_exceeded" } };
    fake.handle(() => sseResponse([TEXT_CHUNKS[0], TEXT_CHUNKS[1], limited], { done: false }));
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
    const failure = await (async () => {
      for await (const _chunk of stream);
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error", message: "Rate limit reached" });
    // After the role-only first chunk alone nothing of the answer came: the failure is the HTTP answer (a 429 the SDK can retry).
    fake.handle(() => sseResponse([TEXT_CHUNKS[0], limited], { done: false }));
    const refused = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
  });

  test("a client that goes away aborts the upstream request", async () => {
    // The first token at once, the rest a minute later.
    fake.handle(() => sseResponse(TEXT_CHUNKS.slice(1), { delayMs: 60_000 }));
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true }, { signal: controller.signal });
    for await (const _chunk of stream) {
      controller.abort();
      break;
    }
    await abortOf(fake.requests[0]!.signal);
  });
});

describe("thinking off on a model without reasoning", () => {
  /** What OpenAI answers gpt-4o when a body names reasoning_effort at all. */
  const refusing = (request: Parameters<typeof openAIHandler>[0]) =>
    (request.body as { reasoning_effort?: unknown } | undefined)?.reasoning_effort !== undefined
      ? jsonResponse({ error: { message: "Unsupported parameter: 'reasoning_effort' is not supported with this model.", type: "invalid_request_error", param: "reasoning_effort", code: "unsupported_parameter" } }, 400)
      : openAIHandler(request);
  const efforts = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => (r.body as { reasoning_effort?: string }).reasoning_effort ?? "-");

  test("Ollama's think: false (effort none) is asked again without an effort, streamed and not, and the model is then asked without at once", async () => {
    fake.handle(refusing);
    const ollama = new Ollama({ host: gw.url });
    const answer = await ollama.chat({ model: "groq/gpt-4o", messages, think: false, stream: false });
    expect(answer.message.content).toBe(COMPLETION.choices[0]!.message.content);
    expect(efforts()).toEqual(["none", "-"]);
    let text = "";
    for await (const part of await ollama.chat({ model: "groq/gpt-4o", messages, think: false, stream: true })) text += part.message.content;
    expect(text).toBe(TEXT_CHUNKS.map((c) => (c.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? "").join(""));
    expect(efforts()).toEqual(["none", "-", "-"]);
    // Another model of the same upstream is still asked as the client asked.
    await client.chat.completions.create({ model: "groq/o3", messages, reasoning_effort: "none" }).catch(() => undefined);
    expect(efforts()).toEqual(["none", "-", "-", "none", "-"]);
  });

  test("an effort asked for by name is the upstream's to refuse: its 400 reaches the client", async () => {
    fake.handle(refusing);
    const error = await client.chat.completions.create({ model: "groq/gpt-4o", messages, reasoning_effort: "high" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, param: "reasoning_effort" });
    expect(efforts()).toEqual(["high"]);
  });
});

describe("max_tokens on a model that takes max_completion_tokens only (OpenAI's reasoning models)", () => {
  test("is asked again with the same limit under its new name, then so at once", async () => {
    fake.handle((request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      return request.path === "/v1/chat/completions" && body.max_tokens !== undefined
        ? jsonResponse({ error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: "invalid_request_error", param: "max_tokens", code: "unsupported_parameter" } }, 400)
        : openAIHandler(request);
    });
    try {
      const sent = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => { const b = r.body as Record<string, unknown>; return [b.max_tokens ?? "-", b.max_completion_tokens ?? "-"]; });
      const answer = await client.chat.completions.create({ model: "gpt-4o-mini", messages, max_tokens: 50 });
      expect(answer.choices[0]!.message.content).toBeString();
      expect(sent()).toEqual([[50, "-"], ["-", 50]]);
      await client.chat.completions.create({ model: "gpt-4o-mini", messages, max_tokens: 60 });
      expect(sent().at(-1)).toEqual(["-", 60]);
      expect(sent()).toHaveLength(3);
    } finally {
      fake.handle(openAIHandler);
    }
  });
});

describe("earlier turns' thinking on a server that refuses the field (Cerebras)", () => {
  test("is asked again without reasoning_content, then so at once", async () => {
    fake.handle((request) => {
      const body = (request.body ?? {}) as { messages?: Record<string, unknown>[] };
      return request.path === "/v1/chat/completions" && body.messages?.some((m) => "reasoning_content" in m)
        ? jsonResponse({ error: { message: "body.messages.1.reasoning_content: property 'reasoning_content' is unsupported", type: "invalid_request_error", param: "messages", code: "wrong_api_format" } }, 400)
        : openAIHandler(request);
    });
    try {
      const history = [
        { role: "user" as const, content: "Hi" },
        { role: "assistant" as const, content: "Hello.", reasoning_content: "Greet back." },
        { role: "user" as const, content: "How are you?" },
      ];
      const answer = await client.chat.completions.create({ model: "groq/gpt-4o", messages: history as OpenAI.Chat.ChatCompletionMessageParam[] });
      expect(answer.choices[0]!.message.content).toBeString();
      const sent = fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => (r.body as { messages: Record<string, unknown>[] }).messages[1]!);
      expect(sent).toEqual([{ role: "assistant", content: "Hello.", reasoning_content: "Greet back." }, { role: "assistant", content: "Hello." }]);
      await client.chat.completions.create({ model: "groq/gpt-4o", messages: history as OpenAI.Chat.ChatCompletionMessageParam[] });
      expect(fake.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(3);
    } finally {
      fake.handle(openAIHandler);
    }
  });
});

describe("hints an upstream refuses as unknown fields", () => {
  /** What Groq answers a body with a field it does not know. */
  const strict = (request: Parameters<typeof openAIHandler>[0]) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const unknown = ["prompt_cache_key", "prompt_cache_retention", "service_tier"].find((field) => body[field] !== undefined);
    return unknown ? jsonResponse({ error: { message: `property '${unknown}' is unsupported`, type: "invalid_request_error" } }, 400) : openAIHandler(request);
  };
  const sent = () => fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => (r.body as { prompt_cache_key?: string }).prompt_cache_key ?? "-");

  test("Codex's prompt_cache_key (a hint) is asked again without, once, then left out at once; service_tier (billing) stays the upstream's 400", async () => {
    fake.handle(strict);
    const response = await client.responses.create({ model: "groq/gpt-4o", input: "Hi", store: false, prompt_cache_key: "conv-1" });
    expect(response.status).toBe("completed");
    expect(sent()).toEqual(["conv-1", "-"]);
    await client.responses.create({ model: "groq/gpt-4o", input: "Again", store: false, prompt_cache_key: "conv-1" });
    expect(sent()).toEqual(["conv-1", "-", "-"]);
    const billed = await client.responses.create({ model: "groq/gpt-4o", input: "Hi", store: false, service_tier: "flex" }).catch((e: unknown) => e);
    expect(billed).toMatchObject({ status: 400 });
  });

  test("a refused value of a hint is the client's to see: not dropped, and not remembered against later values", async () => {
    fake.handle((request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      return body.prompt_cache_retention === "in_memory"
        ? jsonResponse({ error: { message: "Invalid value: 'in_memory'. Supported values are: '24h'.", type: "invalid_request_error", param: "prompt_cache_retention", code: "invalid_value" } }, 400)
        : openAIHandler(request);
    });
    const refused = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, prompt_cache_retention: "in_memory" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, param: "prompt_cache_retention" });
    await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, prompt_cache_retention: "24h" });
    const sent = fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => (r.body as Record<string, unknown>).prompt_cache_retention);
    expect(sent).toEqual(["in_memory", "24h"]);
    // A value OpenAI does not have is the gateway's 400, before any upstream.
    const typo = await client.responses.create({ model: "gpt-4o-mini", input: "Hi", store: false, prompt_cache_retention: "1h" as never }).catch((e: unknown) => e);
    expect(typo).toMatchObject({ status: 400, param: "prompt_cache_retention" });
  });

  /** What OpenAI answers a body with `field`, which it does not know; any other body is answered. */
  const refusing = (field: string) => (request: Parameters<typeof openAIHandler>[0]) =>
    ((request.body ?? {}) as Record<string, unknown>)[field] !== undefined
      ? jsonResponse({ error: { message: `Unrecognized request argument supplied: ${field}`, type: "invalid_request_error", param: null, code: null } }, 400)
      : openAIHandler(request);
  /** `field` in each chat body the upstream got, "-" where it was left out. */
  const sentValues = (field: string) => fake.requests.filter((r) => r.path === "/v1/chat/completions").map((r) => (r.body as Record<string, unknown>)[field] ?? "-");

  test("top_k (an Ollama client's option, Anthropic's field) that OpenAI refuses as an unrecognized argument: asked again without it, then left out at once", async () => {
    fake.handle(refusing("top_k"));
    const topKs = () => sentValues("top_k");
    const ask = { model: "groq/gpt-4o-mini", stream: false, messages: [{ role: "user", content: "Hi" }], options: { top_k: 40, temperature: 0.2 } };
    const answer = await fetch(`${gw.url}/api/chat`, jsonPost(ask));
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { done: boolean }).done).toBe(true);
    expect(topKs()).toEqual([40, "-"]);
    expect((await fetch(`${gw.url}/api/chat`, jsonPost(ask))).status).toBe(200);
    expect(topKs()).toEqual([40, "-", "-"]);
  });

  test("stream_options (the gateway asks for usage on every stream) refused by an older server: the stream is asked again without it, then at once; the client never sent it (a probe)", async () => {
    fake.handle(refusing("stream_options"));
    const sent = () => sentValues("stream_options").map((value) => (value === "-" ? "-" : "asked"));
    let text = "";
    for await (const chunk of await client.chat.completions.create({ model: "groq/gpt-4o-azure-old", stream: true, messages: [{ role: "user", content: "Hi" }] })) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).not.toBe("");
    expect(sent()).toEqual(["asked", "-"]);
    const again = await fetch(`${gw.url}/api/chat`, jsonPost({ model: "groq/gpt-4o-azure-old", messages: [{ role: "user", content: "Hi" }] }));
    expect(again.status).toBe(200);
    await again.text();
    expect(sent()).toEqual(["asked", "-", "-"]);
  });

  test("two hints refused one after the other: each is dropped in turn, and the answer comes", async () => {
    fake.handle(strict);
    const fields = () =>
      fake.requests
        .filter((r) => r.path === "/v1/chat/completions")
        .map((r) => ["prompt_cache_key", "prompt_cache_retention"].filter((field) => (r.body as Record<string, unknown>)[field] !== undefined).join("+") || "-");
    const response = await client.chat.completions.create({ model: "groq/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], prompt_cache_key: "k", prompt_cache_retention: "24h" });
    expect(response.choices[0]!.message.content).toBeString();
    expect(fields()).toEqual(["prompt_cache_key+prompt_cache_retention", "prompt_cache_retention", "-"]);
  });
});

describe("embeddings", () => {
  test("forwarded with the client's own input, floats asked for; both encodings come back", async () => {
    const floats = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"], encoding_format: "float" });
    expectOpenAI("CreateEmbeddingResponse", floats);
    expect(floats.model).toBe("text-embedding-3-small");
    expect(floats.data.map((d) => d.embedding)).toEqual([
      [0.0023064255, -0.009327292, -0.0028842222],
      [0.5, 0.25, -0.125],
    ]);
    expect(floats.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });

    const viaBase64 = await client.embeddings.create({ model: "groq/text-embedding-3-small", input: "one", dimensions: 3 });
    viaBase64.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0]!.embedding[i]!, 6));
    expect(fake.requests.map((r) => r.body)).toEqual([
      { model: "text-embedding-3-small", input: ["a", "b"], encoding_format: "float" },
      { model: "text-embedding-3-small", input: "one", dimensions: 3, encoding_format: "float" },
    ]);
  });

  test("token-id input goes through as sent", async () => {
    await client.embeddings.create({ model: "text-embedding-3-small", input: [[1, 2, 3]], encoding_format: "float" });
    expect((fake.requests[0]!.body as { input: unknown }).input).toEqual([[1, 2, 3]]);
  });
});
