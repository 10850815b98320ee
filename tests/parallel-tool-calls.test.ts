// `parallel_tool_calls: false` (Anthropic's `disable_parallel_tool_use`) holds for a provider that has
// no such setting: a fake Ollama whose model answers two tool calls, asked through the official
// `openai` SDK (Chat Completions and Responses) and `@anthropic-ai/sdk`, streamed and not.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { chatLine, doneLine, json, ndjsonResponse } from "./ollama/fake-ollama.ts";
import { defaultRoutes, startOllamaE2E, type OllamaE2E } from "./ollama/e2e.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

const MODEL = "llama3.2";
const calls = [
  { function: { name: "get_weather", arguments: { city: "Paris" } } },
  { function: { name: "get_weather", arguments: { city: "Oslo" } } },
];

/** An Ollama whose model calls the tool twice in one turn, streamed (one line per call) and not. */
const twoCalls = defaultRoutes({
  "POST /api/chat": (request) =>
    (request.body as { stream?: boolean }).stream === false
      ? json({ ...doneLine(), message: { role: "assistant", content: "", tool_calls: calls } })
      : ndjsonResponse([chatLine({ tool_calls: [calls[0]] }), chatLine({ tool_calls: [calls[1]] }), doneLine()]),
});

const weather = { type: "function" as const, function: { name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };

let e2e: OllamaE2E;
let anthropic: Anthropic;
beforeAll(async () => {
  e2e = await startOllamaE2E();
  anthropic = new Anthropic({ baseURL: e2e.gw.url, apiKey: "x", maxRetries: 0 });
});
beforeEach(() => {
  e2e.reset();
  e2e.fake.handle(twoCalls);
});
afterAll(async () => {
  await e2e?.close();
});

const cities = (args: readonly string[]) => args.map((a) => (JSON.parse(a) as { city: string }).city);

describe("Chat Completions", () => {
  test("parallel_tool_calls: false keeps the first call; without it both come back", async () => {
    const ask = { model: MODEL, messages: [{ role: "user" as const, content: "Weather in Paris and Oslo?" }], tools: [weather] };
    const one = await e2e.client.chat.completions.create({ ...ask, parallel_tool_calls: false });
    expectOpenAI("CreateChatCompletionResponse", one);
    expect(cities(one.choices[0]!.message.tool_calls!.map((c) => (c as { function: { arguments: string } }).function.arguments))).toEqual(["Paris"]);
    expect(one.choices[0]!.finish_reason).toBe("tool_calls");
    const both = await e2e.client.chat.completions.create(ask);
    expect(both.choices[0]!.message.tool_calls).toHaveLength(2);
  });

  test("streamed: only the first call's deltas", async () => {
    const stream = await e2e.client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Weather?" }], tools: [weather], parallel_tool_calls: false, stream: true });
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    for await (const chunk of stream) {
      expectOpenAI("CreateChatCompletionStreamResponse", chunk);
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) deltas.push(call);
    }
    expect(deltas.map((d) => d.index)).toEqual([0]);
    expect(cities(deltas.map((d) => d.function!.arguments!))).toEqual(["Paris"]);
  });
});

describe("Responses", () => {
  const tool = { type: "function" as const, name: "get_weather", description: "Weather of a city", parameters: weather.function.parameters, strict: false };

  test("one function_call item, streamed and not", async () => {
    const response = await e2e.client.responses.create({ model: MODEL, input: "Weather in Paris and Oslo?", tools: [tool], parallel_tool_calls: false, store: false });
    expectOpenAI("Response", response);
    expect(response.output.filter((item) => item.type === "function_call").map((item) => (item as { arguments: string }).arguments)).toEqual(['{"city":"Paris"}']);
    expect(response.parallel_tool_calls).toBe(false);

    const stream = await e2e.client.responses.create({ model: MODEL, input: "Weather?", tools: [tool], parallel_tool_calls: false, store: false, stream: true });
    const added: string[] = [];
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      if (event.type === "response.output_item.added") added.push(event.item.type);
    }
    expect(added).toEqual(["function_call"]);
  });
});

describe("Anthropic Messages", () => {
  test("disable_parallel_tool_use: one tool_use block, streamed and not", async () => {
    const ask = {
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: "user" as const, content: "Weather in Paris and Oslo?" }],
      tools: [{ name: "get_weather", description: "Weather of a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } }],
      tool_choice: { type: "auto" as const, disable_parallel_tool_use: true },
    };
    const message = await anthropic.messages.create(ask);
    expect(message.content.filter((block) => block.type === "tool_use").map((block) => (block as { input: unknown }).input)).toEqual([{ city: "Paris" }]);
    expect(message.stop_reason).toBe("tool_use");

    const streamed = await anthropic.messages.stream(ask).finalMessage();
    expect(streamed.content.filter((block) => block.type === "tool_use").map((block) => (block as { input: unknown }).input)).toEqual([{ city: "Paris" }]);

    const both = await anthropic.messages.create({ ...ask, tool_choice: { type: "auto" } });
    expect(both.content.filter((block) => block.type === "tool_use")).toHaveLength(2);
  });
});
