import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { RecordedRequest } from "../../tests/helpers/fake-server.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import { json, sse, type FakeGemini } from "./__fixtures__/fake-gemini.ts";
import { failure, KEY, startGeminiGateway, type GeminiGateway } from "./__fixtures__/gemini-gateway.ts";
import signedCall from "./__fixtures__/generate-function-call-thought-signature.json";
import parallelCalls from "./__fixtures__/generate-parallel-function-calls.json";
import thinking from "./__fixtures__/generate-thinking.json";
import text from "./__fixtures__/generate-text.json";
import missingSignature from "./__fixtures__/error-missing-thought-signature.json";
import twoCandidates from "./__fixtures__/generate-two-candidates.json";
import streamCalls from "./__fixtures__/stream-parallel-function-calls.events.json";
import streamThinking from "./__fixtures__/stream-thinking.events.json";

/** The Gemini plugin end to end: the official `openai` client → Ollaix → @google/genai → a fake Gemini. */
const SIGNATURE = signedCall.candidates[0]!.content.parts[0]!.thoughtSignature;
let env: GeminiGateway;
let upstream: FakeGemini;
let client: OpenAI;
let discovery: RecordedRequest[];

beforeAll(async () => {
  env = await startGeminiGateway();
  ({ upstream, client } = env);
  discovery = [...upstream.requests];
});
afterEach(() => upstream.reset());
afterAll(() => env.close());

/** The one generateContent/streamGenerateContent body Gemini received. */
const sentBody = (suffix = ":generateContent") => {
  const calls = upstream.calls(suffix);
  expect(calls).toHaveLength(1);
  return calls[0]!.body;
};

describe("models", () => {
  test("discovered through both pages of GET /v1beta/models, with the key and the hop header", () => {
    expect(discovery.map((r) => [r.method, r.path, r.search])).toEqual([
      ["GET", "/v1beta/models", "?pageSize=1000"],
      ["GET", "/v1beta/models", "?pageSize=1000&pageToken=Ch1tb2RlbHMvZ2VtaW5pLTIuNS1wcm8"],
    ]);
    expect(discovery[0]!.headers).toMatchObject({ "x-goog-api-key": KEY, "x-ollaix-hops": "1" });
  });

  test("listed as generateContent/embedContent models, owned_by gemini, without models/, with limits", async () => {
    const page = await client.models.list();
    expectOpenAI("ListModelsResponse", { object: "list", data: page.data });
    expect(page.data.filter((m) => m.owned_by === "gemini").map((m) => m.id)).toEqual(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001"]);
    expect(await client.models.retrieve("gemini-2.5-pro")).toMatchObject({
      id: "gemini-2.5-pro",
      object: "model",
      owned_by: "gemini",
      name: "Gemini 2.5 Pro",
      context_length: 1048576,
      input_token_limit: 1048576,
      output_token_limit: 65536,
    });
  });
  test("/health?probe=true asks Gemini for one model", async () => {
    const health = (await (await env.gw.handle("/health?probe=true")).json()) as { providers: unknown[] };
    expect(health.providers).toContainEqual({ name: "gemini", models: 3, ok: true });
    expect(upstream.requests.map((r) => [r.path, r.search])).toEqual([["/v1beta/models", "?pageSize=1"]]);
  });
});

describe("chat completions", () => {
  test("a token limit above the model's own (its outputTokenLimit) is capped at it; one within it, or for a model not listed, goes as asked", async () => {
    const sentLimit = async (model: string, max_tokens: number) => {
      upstream.reset();
      await client.chat.completions.create({ model, max_tokens, messages: [{ role: "user", content: "Hi" }] });
      return (sentBody() as { generationConfig: { maxOutputTokens?: number } }).generationConfig.maxOutputTokens;
    };
    expect(await sentLimit("gemini-2.5-pro", 100_000)).toBe(65_536); // listed with outputTokenLimit 65,536
    expect(await sentLimit("gemini-2.5-pro", 32_000)).toBe(32_000);
    expect(await sentLimit("gemini/gemini-3-pro-preview", 100_000)).toBe(100_000); // not listed: Gemini says
  });

  test("roles, merging and sampling fields reach Gemini as documented; the answer comes back in OpenAI form", async () => {
    const completion = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "You are a storyteller." },
        { role: "developer", content: "Keep it short." },
        { role: "user", content: "Write a story about a magic backpack." },
        { role: "user", content: "Two sentences." },
        { role: "assistant", content: "Shall it be sad?" },
        { role: "user", content: "No." },
      ],
      max_completion_tokens: 200,
      temperature: 0.7,
      top_p: 0.9,
      stop: ["THE END"],
      seed: 42,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      user: "user-1",
    });
    expect(sentBody()).toEqual({
      contents: [
        { role: "user", parts: [{ text: "Write a story about a magic backpack." }, { text: "Two sentences." }] },
        { role: "model", parts: [{ text: "Shall it be sad?" }] },
        { role: "user", parts: [{ text: "No." }] },
      ],
      systemInstruction: { parts: [{ text: "You are a storyteller." }, { text: "Keep it short." }] },
      generationConfig: { maxOutputTokens: 200, temperature: 0.7, topP: 0.9, stopSequences: ["THE END"], seed: 42, presencePenalty: 0.1, frequencyPenalty: 0.2 },
    });
    const call = upstream.calls(":generateContent")[0]!;
    expect(call.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(call.headers).toMatchObject({ "x-goog-api-key": KEY, "x-ollaix-hops": "1", "x-request-id": expect.stringMatching(/./) });
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect(completion).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: "chat.completion",
      model: "gemini-2.5-flash",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Elara found the backpack in a dusty corner of her grandmother's attic. The moment she slipped it on, it whispered the way home." },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 28, total_tokens: 36 },
    });
  });

  test("thought parts come back as reasoning_content; thinking tokens count as completion and reasoning tokens", async () => {
    upstream.answer(() => json(thinking));
    const completion = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "Sum the primes below 10." }] });
    const message = completion.choices[0]!.message as typeof completion.choices[0]["message"] & { reasoning_content?: string };
    expect(message.content).toBe("The sum of the primes below 10 is 17.");
    expect(message.reasoning_content).toBe("**Counting the primes**\n\nI list the primes below 10: 2, 3, 5 and 7, and add them.");
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 129, total_tokens: 141, completion_tokens_details: { reasoning_tokens: 118 } });
  });

  test("n → candidateCount, one choice per candidate", async () => {
    upstream.answer(() => json(twoCandidates));
    const completion = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Sky colour?" }], n: 2 });
    expect(sentBody()).toMatchObject({ generationConfig: { candidateCount: 2 } });
    expect(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, "Blue.", "stop"],
      [1, "Azure, like the sky", "length"],
    ]);
  });

  test("n above 8 is refused by the core before Gemini", async () => {
    expect(await failure(client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }], n: 9 }))).toMatchObject({ status: 400, error: { param: "n" } });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe("streaming", () => {
  test("text chunks, finish, the usage chunk, [DONE] — through streamGenerateContent?alt=sse", async () => {
    const stream = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Story?" }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const call = upstream.calls(":streamGenerateContent")[0]!;
    expect([call.path, call.search]).toEqual(["/v1beta/models/gemini-2.5-flash:streamGenerateContent", "?alt=sse"]);
    expect(call.body).toEqual({ contents: [{ role: "user", parts: [{ text: "Story?" }] }], generationConfig: {} });
    for (const chunk of chunks) expectOpenAI("CreateChatCompletionStreamResponse", chunk);
    expect(chunks.map((c) => [c.choices[0]?.delta.content ?? null, c.choices[0]?.finish_reason ?? null])).toEqual([
      ["Elara found", null],
      [" the backpack in the attic.", null],
      [null, "stop"],
      [null, null],
    ]);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 8, completion_tokens: 9, total_tokens: 17 } });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  test("thought deltas stream as reasoning_content", async () => {
    upstream.answer(() => sse(streamThinking));
    const stream = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "Sum?" }], stream: true, stream_options: { include_usage: true } });
    const deltas: unknown[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.choices[0]) deltas.push(chunk.choices[0].delta);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas).toEqual([{ role: "assistant", reasoning_content: "**Adding primes** 2+3+5+7." }, { content: "The sum is 17." }]);
    expect(usage).toEqual({ prompt_tokens: 12, completion_tokens: 124, total_tokens: 136, completion_tokens_details: { reasoning_tokens: 118 } });
  });
});

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_current_temperature",
    description: "Current temperature of a city",
    parameters: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { location: { type: "string" } }, required: ["location"], additionalProperties: false },
  },
};

describe("tools", () => {
  test("tools → functionDeclarations with the JSON Schema whole; a named tool_choice → ANY with that name; calls → tool_calls", async () => {
    upstream.answer(() => json(parallelCalls));
    const completion = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "Temperature in Paris and London?" }],
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_current_temperature" } },
    });
    expect(sentBody()).toEqual({
      contents: [{ role: "user", parts: [{ text: "Temperature in Paris and London?" }] }],
      tools: [{ functionDeclarations: [{ name: "get_current_temperature", description: "Current temperature of a city", parametersJsonSchema: weatherTool.function.parameters }] }],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_current_temperature"] } },
      generationConfig: {},
    });
    expectOpenAI("CreateChatCompletionResponse", completion);
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls"); // Gemini said STOP
    expect(choice.message.content).toBe("Let me check both cities.");
    expect(choice.message.tool_calls!.map((c) => c.type === "function" && [c.function.name, c.function.arguments])).toEqual([
      ["get_current_temperature", '{"location":"Paris"}'],
      ["get_current_temperature", '{"location":"London"}'],
    ]);
    expect(new Set(choice.message.tool_calls!.map((c) => c.id)).size).toBe(2);
  });

  test("names Gemini refuses (Claude Code's long MCP tool names, a leading digit) go by a valid alias in declarations, history and tool_choice; its calls come back by the client's names, streamed or not", async () => {
    const mcp = "mcp__claude_ai_Google_Drive__search_files_in_shared_drive_with_full_text_and_owner_filters";
    const alias = (body: unknown) => (body as { tools: { functionDeclarations: { name: string }[] }[] }).tools[0]!.functionDeclarations.map((d) => d.name);
    const anthropic = new Anthropic({ baseURL: env.gw.url, apiKey: "x", maxRetries: 0 });
    const tools = [mcp, "1st_tool"].map((name) => ({ name, description: "a tool", input_schema: { type: "object" as const, properties: { q: { type: "string" } } } }));
    // What Gemini would answer: a call of the alias it was given.
    const callOf = (name: string) => ({ candidates: [{ content: { role: "model", parts: [{ functionCall: { name, args: { q: "x" } } }] }, finishReason: "STOP", index: 0 }], modelVersion: "gemini-2.5-flash" });
    let declared: string[] = [];
    upstream.answer((request) => ((declared = alias(request.body)), json(callOf(declared[0]!))));
    const message = await anthropic.messages.create({ model: "gemini-2.5-flash", max_tokens: 256, tools, tool_choice: { type: "tool", name: mcp }, messages: [{ role: "user", content: "find the report" }] });
    const sent = sentBody() as { toolConfig: { functionCallingConfig: { allowedFunctionNames: string[] } } };
    expect(declared).toHaveLength(2);
    for (const name of declared) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/);
    expect(declared[0]).toStartWith("mcp__claude_ai_Google_Drive__search_files_in_shared_dri");
    expect(sent.toolConfig.functionCallingConfig.allowedFunctionNames).toEqual([declared[0]!]);
    const use = message.content.find((block) => block.type === "tool_use")!;
    expect(use).toMatchObject({ type: "tool_use", name: mcp, input: { q: "x" } });
    upstream.reset();

    // The history goes back by the client's names; Gemini gets the same aliases for the call and its result.
    upstream.answer((request) => sse([callOf(alias(request.body)[1]!)]));
    const stream = anthropic.messages.stream({
      model: "gemini-2.5-flash",
      max_tokens: 256,
      tools,
      messages: [
        { role: "user", content: "find the report" },
        { role: "assistant", content: [{ type: "tool_use", id: use.type === "tool_use" ? use.id : "", name: mcp, input: { q: "x" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.type === "tool_use" ? use.id : "", content: "found it" }] },
      ],
    });
    const final = await stream.finalMessage();
    const history = (sentBody(":streamGenerateContent") as { contents: { parts: { functionCall?: { name: string }; functionResponse?: { name: string } }[] }[] }).contents;
    expect(history[1]!.parts[0]!.functionCall!.name).toBe(declared[0]!);
    expect(history[2]!.parts[0]!.functionResponse!.name).toBe(declared[0]!);
    expect(final.content.find((block) => block.type === "tool_use")).toMatchObject({ name: "1st_tool" });
  });

  test("a tool schema whose $refs double at each step, for a model that takes no references: a 400 naming the tool's parameters, nothing sent to Gemini", async () => {
    const $defs: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) $defs[`d${i}`] = { type: "object", properties: { a: { $ref: `#/$defs/d${i + 1}` }, b: { $ref: `#/$defs/d${i + 1}` } } };
    $defs.d30 = { type: "string" };
    const tool = { type: "function" as const, function: { name: "bomb", parameters: { type: "object", properties: { x: { $ref: "#/$defs/d0" } }, $defs } } };
    const refused = (await failure(client.chat.completions.create({ model: "gemini/gemini-1.5-flash", messages: [{ role: "user", content: "hi" }], tools: [tool] }))) as InstanceType<typeof OpenAI.APIError>;
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({ type: "invalid_request_error", param: "tools[0].function.parameters" });
    expect(upstream.calls(":generateContent")).toHaveLength(0);
  });

  test.each([
    ["auto", { mode: "AUTO" }],
    ["none", { mode: "NONE" }],
    ["required", { mode: "ANY" }],
  ] as const)("tool_choice %s → functionCallingConfig %j", async (choice, config) => {
    await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], tools: [weatherTool], tool_choice: choice });
    expect((sentBody() as { toolConfig: unknown }).toolConfig).toEqual({ functionCallingConfig: config });
  });

  test("streamed parallel calls get distinct indexes, so the SDK assembles both; finish is tool_calls", async () => {
    upstream.answer(() => sse(streamCalls));
    const final = await client.chat.completions.stream({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Paris and London?" }], tools: [weatherTool] }).finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.choices[0]!.message.tool_calls!.map((c) => c.type === "function" && c.function.arguments)).toEqual(['{"location":"Paris"}', '{"location":"London"}']);
  });

  test("tool results go back as functionResponse parts in one user turn, named after their calls", async () => {
    await client.chat.completions.create({
      model: "gemini-2.5-flash",
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Paris and London?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "get_current_temperature", arguments: '{"location":"Paris"}' } },
            { id: "call_b", type: "function", function: { name: "get_current_temperature", arguments: '{"location":"London"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: '{"celsius":21}' },
        { role: "tool", tool_call_id: "call_b", content: "14 degrees" },
      ],
    });
    expect((sentBody() as { contents: unknown }).contents).toEqual([
      { role: "user", parts: [{ text: "Paris and London?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "get_current_temperature", args: { location: "Paris" } } },
          { functionCall: { name: "get_current_temperature", args: { location: "London" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_current_temperature", response: { celsius: 21 } } },
          { functionResponse: { name: "get_current_temperature", response: { output: "14 degrees" } } },
        ],
      },
    ]);
  });
});

describe("thought signatures round trip", () => {
  const ask: ChatCompletionMessageParam = { role: "user", content: "Is flight AA100 on time?" };
  const secondTurn = async (assistant: unknown) => {
    upstream.reset();
    await client.chat.completions.create({
      model: "gemini/gemini-3-pro-preview",
      messages: [ask, assistant as ChatCompletionMessageParam, { role: "tool", tool_call_id: (assistant as { tool_calls: { id: string }[] }).tool_calls[0]!.id, content: '{"status":"on time"}' }],
    });
    return (sentBody() as { contents: { parts: unknown[] }[] }).contents[1];
  };
  const expectedModelTurn = { role: "model", parts: [{ functionCall: { name: "check_flight", args: { flight: "AA100" } }, thoughtSignature: SIGNATURE }] };

  test("non-stream: extra_content.google.thought_signature out, thoughtSignature back exactly", async () => {
    upstream.answer(() => json(signedCall));
    const first = await client.chat.completions.create({ model: "gemini/gemini-3-pro-preview", messages: [ask] });
    const message = first.choices[0]!.message;
    expect((message.tool_calls![0] as unknown as { extra_content: unknown }).extra_content).toEqual({ google: { thought_signature: SIGNATURE } });
    expect(await secondTurn(message)).toEqual(expectedModelTurn);
  });

  test("a client that drops unknown fields still round-trips it through the tool-call id", async () => {
    upstream.answer(() => json(signedCall));
    const first = await client.chat.completions.create({ model: "gemini/gemini-3-pro-preview", messages: [ask] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const stripped = { role: "assistant", content: null, tool_calls: [{ id: call.id, type: "function", function: call.type === "function" ? call.function : undefined }] };
    expect(await secondTurn(stripped)).toEqual(expectedModelTurn);
  });

  test("an id that names no version (gemini-pro-latest, a Gemini 3 model now): refused for an unsigned call, asked again with Google's placeholder, and so from then on", async () => {
    // As Gemini 3 checks: the first function call of a model turn needs a signature.
    const asGemini3 = (request: RecordedRequest) => {
      const contents = (request.body as { contents: { role: string; parts: { functionCall?: unknown; thoughtSignature?: string }[] }[] }).contents;
      const unsigned = contents.some((c) => c.role === "model" && c.parts.find((p) => p.functionCall)?.thoughtSignature === undefined);
      return unsigned ? json(missingSignature, 400) : json(text);
    };
    // A history from another model: its call has no signature to send back.
    const history: ChatCompletionMessageParam[] = [
      ask,
      { role: "assistant", content: null, tool_calls: [{ id: "call_from_elsewhere", type: "function", function: { name: "check_flight", arguments: '{"flight":"AA100"}' } }] },
      { role: "tool", tool_call_id: "call_from_elsewhere", content: '{"status":"on time"}' },
    ];
    for (const model of ["gemini/gemini-pro-latest", "gemini/gemini-pro-latest"]) {
      upstream.reset();
      upstream.answer(asGemini3);
      const answer = await client.chat.completions.create({ model, messages: history });
      expect(answer.choices[0]!.message.content).toBe(text.candidates[0]!.content.parts[0]!.text);
    }
    // The second request went with the placeholder at once: one call, not a refusal and a retry.
    const calls = upstream.calls(":generateContent");
    expect(calls).toHaveLength(1);
    expect((calls[0]!.body as { contents: unknown[] }).contents[1]).toEqual({
      role: "model",
      parts: [{ functionCall: { name: "check_flight", args: { flight: "AA100" } }, thoughtSignature: "skip_thought_signature_validator" }],
    });
  });

  test("stream: the signature rides on the tool-call delta and comes back exactly", async () => {
    upstream.answer(() => sse([{ candidates: [{ ...signedCall.candidates[0], finishReason: undefined }] }, { candidates: [{ content: { parts: [{ text: "" }], role: "model" }, finishReason: "STOP" }] }]));
    const stream = await client.chat.completions.create({ model: "gemini/gemini-3-pro-preview", messages: [ask], stream: true });
    const calls: { id?: string; function?: { name?: string; arguments?: string }; extra_content?: unknown }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      calls.push(...((chunk.choices[0]?.delta.tool_calls ?? []) as typeof calls));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.extra_content).toEqual({ google: { thought_signature: SIGNATURE } });
    const assistant = { role: "assistant", content: null, tool_calls: [{ id: calls[0]!.id, type: "function", function: calls[0]!.function, extra_content: calls[0]!.extra_content }] };
    expect(await secondTurn(assistant)).toEqual(expectedModelTurn);
  });
});
