import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { startFakeServer, streamBody, type FakeServer, type RecordedRequest } from "../../tests/helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import dummy from "../dummy/index.ts";
import { jsonResponse, openAIHandler, sseResponse, resetBetweenTests } from "./__fixtures__/fake-openai.ts";
import { writeConfigFile } from "./__fixtures__/test-env.ts";
import openaiCompatible from "./index.ts";

/**
 * What real servers send that OpenAI does not, through every surface with its official client: an
 * upstream (a fake on loopback) answering as vLLM, llama.cpp's server, Google's OpenAI endpoint or
 * TGI do. None of it may become a 500, an answer outside OpenAI's schemas, or a failed stream.
 */
const KEY_ENV = "OC_QUIRKS_KEY";
let fake: FakeServer;
let gw: TestGateway;
let openai: OpenAI;
let anthropic: Anthropic;
let ollama: Ollama;

beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  const config = writeConfigFile({ plugins: { "openai-compatible": { upstreams: [{ name: "vllm", base_url: `${fake.url}/v1`, api_key_env: KEY_ENV }] } } }, "ollaix.yaml");
  gw = await startTestGateway({ OLLAIX_CONFIG: config, [KEY_ENV]: "sk-quirks-key-0001" }, [dummy, openaiCompatible]);
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
  ollama = new Ollama({ host: gw.url });
});
resetBetweenTests(() => fake, () => gw);

const MODEL = "vllm/gpt-4o-mini";
const ask = [{ role: "user" as const, content: "Weather in Paris?" }];
const weatherTool = { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const isStream = (request: RecordedRequest) => (request.body as { stream?: boolean }).stream === true;
const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) => ({
  id: "chatcmpl-q1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...extra,
});

describe("vLLM's nulls (a whole answer as vLLM 0.x sends it)", () => {
  const VLLM_ANSWER = {
    id: "chatcmpl-vllm1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [
      {
        index: 0,
        message: { role: "assistant", reasoning_content: null, content: "Sunny.", tool_calls: [], refusal: null, annotations: null, audio: null, function_call: null },
        logprobs: null,
        finish_reason: "stop",
        stop_reason: null,
      },
    ],
    usage: { prompt_tokens: 5, total_tokens: 7, completion_tokens: 2, prompt_tokens_details: null },
    prompt_logprobs: null,
    system_fingerprint: null,
    kv_transfer_params: null,
  };

  test("Chat Completions answers within OpenAI's schema; every surface reads the text", async () => {
    fake.handle(() => jsonResponse(VLLM_ANSWER));
    const raw = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: ask }) });
    const body = (await raw.json()) as { choices: { message: object }[]; usage: object };
    expect(raw.status).toBe(200);
    expectOpenAI("CreateChatCompletionResponse", body);
    expect(body.choices[0]!.message).not.toHaveProperty("annotations");
    expect(body).not.toHaveProperty("system_fingerprint");
    expect(body.usage).not.toHaveProperty("prompt_tokens_details");
    expect((await anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: ask })).content).toEqual([{ type: "text", text: "Sunny.", citations: null }]);
    expect((await ollama.chat({ model: MODEL, messages: ask })).message.content).toBe("Sunny.");
  });

  test("a stream's `tool_calls: null` and `function_call: null` deltas (KServe's vLLM runtime): no 500, the text streams on every surface", async () => {
    fake.handle(() =>
      sseResponse([
        chunk({ role: "assistant", content: "", tool_calls: null, function_call: null }),
        chunk({ content: "Sun", tool_calls: null, function_call: null }, null, { system_fingerprint: null }),
        chunk({ content: "ny.", tool_calls: null }),
        chunk({}, "stop"),
      ]),
    );
    const streamed: string[] = [];
    const stream = await openai.chat.completions.create({ model: MODEL, messages: ask, stream: true });
    for await (const part of stream) {
      expectOpenAI("CreateChatCompletionStreamResponse", part);
      streamed.push(part.choices[0]?.delta.content ?? "");
    }
    expect(streamed.join("")).toBe("Sunny.");
    const response = await openai.responses.stream({ model: MODEL, input: "Weather in Paris?" }).finalResponse();
    expect(response.output_text).toBe("Sunny.");
    expect((await anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: ask }).finalMessage()).content).toMatchObject([{ type: "text", text: "Sunny.", citations: null }]);
    let said = "";
    for await (const part of await ollama.chat({ model: MODEL, messages: ask, stream: true })) said += part.message.content;
    expect(said).toBe("Sunny.");
  });
});

describe("tool-call arguments sent as an object (llama.cpp's server for a while, TGI)", () => {
  const objectCall = { id: "call_o1", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } };

  test("a whole answer: every surface gets the arguments as JSON text", async () => {
    fake.handle((request) =>
      isStream(request)
        ? sseResponse([chunk({ role: "assistant", tool_calls: [{ index: 0, ...objectCall }] }), chunk({}, "tool_calls")])
        : jsonResponse({ id: "chatcmpl-o", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [objectCall] }, finish_reason: "tool_calls" }] }),
    );
    const completion = await openai.chat.completions.create({ model: MODEL, messages: ask, tools: [weatherTool] });
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect(completion.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    const response = await openai.responses.create({ model: MODEL, input: "Weather?", tools: [{ type: "function", name: "get_weather", parameters: weatherTool.function.parameters, strict: null }] });
    expectOpenAI("Response", response);
    expect(response.output[0]).toMatchObject({ type: "function_call", arguments: '{"city":"Paris"}' });
    const message = await anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: ask, tools: [{ name: "get_weather", input_schema: { type: "object" } }] });
    expect(message.content).toEqual([expect.objectContaining({ type: "tool_use", name: "get_weather", input: { city: "Paris" } })]);
    expect((await ollama.chat({ model: MODEL, messages: ask, tools: [weatherTool] })).message.tool_calls).toEqual([expect.objectContaining({ function: expect.objectContaining({ name: "get_weather", arguments: { city: "Paris" } }) })]);
  });

  test("a stream: the arguments arrive as JSON text on every surface", async () => {
    fake.handle(() => sseResponse([chunk({ role: "assistant", tool_calls: [{ index: 0, ...objectCall }] }), chunk({}, "tool_calls")]));
    const chat = await openai.chat.completions.stream({ model: MODEL, messages: ask, tools: [weatherTool] }).finalChatCompletion();
    expect(chat.choices[0]!.message.tool_calls![0]).toMatchObject({ function: { arguments: '{"city":"Paris"}' } });
    const response = await openai.responses.stream({ model: MODEL, input: "Weather?", tools: [{ type: "function", name: "get_weather", parameters: null, strict: null }] }).finalResponse();
    expect(response.output[0]).toMatchObject({ type: "function_call", arguments: '{"city":"Paris"}' });
    const message = await anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: ask, tools: [{ name: "get_weather", input_schema: { type: "object" } }] }).finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: "tool_use", input: { city: "Paris" } })]);
  });
});

describe("nulls inside a streamed tool call (a review)", () => {
  test("`arguments: null` on the call's opening delta, then its pieces: the pieces alone, on every surface", async () => {
    fake.handle(() =>
      sseResponse([
        chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_n1", type: "function", function: { name: "get_weather", arguments: null } }] }),
        chunk({ tool_calls: [{ index: 0, id: null, type: null, function: { name: null, arguments: '{"city":"Paris"}' } }] }),
        chunk({ tool_calls: [{ index: 0, id: null, type: null, function: null }] }),
        chunk({}, "tool_calls"),
      ]),
    );
    const parts = [];
    for await (const part of await openai.chat.completions.create({ model: MODEL, messages: ask, tools: [weatherTool], stream: true })) {
      expectOpenAI("CreateChatCompletionStreamResponse", part);
      parts.push(part);
    }
    const args = parts.flatMap((p) => p.choices[0]?.delta.tool_calls ?? []).map((call) => call.function?.arguments ?? "").join("");
    expect(args).toBe('{"city":"Paris"}');
    const message = await anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: ask, tools: [{ name: "get_weather", input_schema: { type: "object" } }] }).finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: "tool_use", name: "get_weather", input: { city: "Paris" } })]);
    const calls = [];
    for await (const part of await ollama.chat({ model: MODEL, messages: ask, tools: [weatherTool], stream: true })) calls.push(...(part.message.tool_calls ?? []));
    expect(calls).toEqual([expect.objectContaining({ function: expect.objectContaining({ arguments: { city: "Paris" } }) })]);
  });

  test("a choice that finished is not finished again at [DONE] by a later chunk of its own (usage with finish_reason null)", async () => {
    fake.handle(() =>
      sseResponse([
        chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_u1", type: "function", function: { name: "get_weather", arguments: "{}" } }] }),
        chunk({}, "tool_calls"),
        chunk({}, null, { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
      ]),
    );
    const finishes = [];
    for await (const part of await openai.chat.completions.create({ model: MODEL, messages: ask, tools: [weatherTool], stream: true })) {
      for (const choice of part.choices) if (choice.finish_reason) finishes.push(choice.finish_reason);
    }
    expect(finishes).toEqual(["tool_calls"]);
  });
});

describe("a stream that ends with [DONE] and no finish reason (Google's OpenAI endpoint, some OpenRouter providers)", () => {
  test("text: the answer ends as it should on every surface (stop / completed / end_turn)", async () => {
    fake.handle(() => sseResponse([chunk({ role: "assistant", content: "Sun" }), chunk({ content: "ny." })]));
    const parts = [];
    for await (const part of await openai.chat.completions.create({ model: MODEL, messages: ask, stream: true })) parts.push(part);
    expect(parts.map((p) => p.choices[0]?.delta.content ?? "").join("")).toBe("Sunny.");
    expect(parts.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    const response = await openai.responses.stream({ model: MODEL, input: "Weather?" }).finalResponse();
    expect(response).toMatchObject({ status: "completed", output_text: "Sunny." });
    const message = await anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: ask }).finalMessage();
    expect(message).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text", text: "Sunny." }] });
    let last;
    for await (const part of await ollama.chat({ model: MODEL, messages: ask, stream: true })) last = part;
    expect(last).toMatchObject({ done: true, done_reason: "stop" });
  });

  test("a tool call: it ends as a call (tool_calls / tool_use), its arguments whole", async () => {
    fake.handle(() =>
      sseResponse([
        chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_d1", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      ]),
    );
    const chat = await openai.chat.completions.stream({ model: MODEL, messages: ask, tools: [weatherTool] }).finalChatCompletion();
    expect(chat.choices[0]).toMatchObject({ finish_reason: "tool_calls", message: { tool_calls: [{ id: "call_d1", function: { arguments: '{"city":"Paris"}' } }] } });
    const message = await anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: ask, tools: [{ name: "get_weather", input_schema: { type: "object" } }] }).finalMessage();
    expect(message).toMatchObject({ stop_reason: "tool_use", content: [{ type: "tool_use", input: { city: "Paris" } }] });
  });

  test("without [DONE] either, the stream was cut: each surface ends with its error", async () => {
    fake.handle(() => sseResponse([chunk({ role: "assistant", content: "Sun" })], { done: false }));
    const failed = await (async () => {
      for await (const _ of await openai.chat.completions.create({ model: MODEL, messages: ask, stream: true }));
    })().catch((error: unknown) => error);
    expect(String(failed)).toContain("ended the stream before the answer was finished");
  });
});

describe("llama.cpp's `error:` stream line", () => {
  const contextError = 'error: {"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":4096}\n\ndata: [DONE]\n\n';

  test("before any data: the client gets 400 context_length_exceeded with llama.cpp's words, on every surface", async () => {
    fake.handle(() => new Response(streamBody([contextError]), { headers: { "content-type": "text/event-stream" } }));
    const chat = await openai.chat.completions.create({ model: MODEL, messages: ask, stream: true }).catch((error: unknown) => error);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chat).toMatchObject({ status: 400, code: "context_length_exceeded" });
    expect((chat as Error).message).toContain("the request exceeds the available context size");
    const message = await anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: ask, stream: true }).catch((error: unknown) => error);
    expect(message).toBeInstanceOf(Anthropic.BadRequestError);
    const asked = await (async () => {
      for await (const _ of await ollama.chat({ model: MODEL, messages: ask, stream: true }));
    })().catch((error: unknown) => error);
    expect(asked).toMatchObject({ status_code: 400 });
  });

  test("after some text: the stream ends with the surface's error event carrying llama.cpp's words", async () => {
    fake.handle(() => new Response(streamBody([`data: ${JSON.stringify(chunk({ role: "assistant", content: "Sun" }))}\n\n`, contextError]), { headers: { "content-type": "text/event-stream" } }));
    const response = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: ask, stream: true }) });
    const text = await response.text();
    expect(text).toContain('"content":"Sun"');
    expect(text).toContain("the request exceeds the available context size");
    expect(text).not.toContain("[DONE]");
  });
});

describe("finish reasons that say what did not happen", () => {
  test("`tool_calls` with no call made (vLLM, lmdeploy): Anthropic's stop_reason is end_turn, not tool_use", async () => {
    fake.handle((request) =>
      isStream(request)
        ? sseResponse([chunk({ role: "assistant", content: "No tool needed." }), chunk({}, "tool_calls")])
        : jsonResponse({ id: "chatcmpl-t", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "No tool needed." }, finish_reason: "tool_calls" }] }),
    );
    const tools = [{ name: "get_weather", input_schema: { type: "object" as const } }];
    expect(await anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: ask, tools })).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text" }] });
    expect(await anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: ask, tools }).finalMessage()).toMatchObject({ stop_reason: "end_turn" });
  });
});

describe("a spent account (402: DeepSeek's Insufficient Balance, OpenRouter's credits)", () => {
  test("429 insufficient_quota, as OpenAI answers a spent quota, with OpenAI's SDKs told not to retry", async () => {
    fake.handle(() => jsonResponse({ error: { message: "Insufficient Balance", type: "unknown_error", param: null, code: "invalid_request_error" } }, 402));
    const raw = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: ask }) });
    expect(raw.status).toBe(429);
    expect(raw.headers.get("x-should-retry")).toBe("false");
    const body = (await raw.json()) as { error: object };
    expectOpenAI("ErrorResponse", body);
    expect(body.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", message: "Insufficient Balance" });
  });
});
