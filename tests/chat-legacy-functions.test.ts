// Chat Completions' deprecated function calling (`functions`, `function_call`, `role: "function"`),
// which older clients still send, for every model: the official openai SDK on a real port, a
// provider that knows tools only (recording what it gets), streamed and not, validated against
// OpenAI's own document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChatRequest, type ChatResult, type ChunkResult } from "../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { toolPlugin } from "./helpers/tool-plugin.ts";

const received: ChatRequest[] = [];
let gw: TestGateway;
let client: OpenAI;
/** A model that calls two functions at once, streamed (an upstream told parallel_tool_calls: true). */
const twoCalls = definePlugin({
  name: "twocalls",
  models: [{ id: "two-call-model" }],
  async chat(): Promise<ChatResult> {
    return { choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, refusal: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }, { id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz":"CET"}' } }] } }] };
  },
  async *chatStream(): AsyncGenerator<ChunkResult> {
    yield { choices: [{ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] } }] };
    yield { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: '{"tz":"CET"}' } }] } }] };
    yield { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] } }] };
    yield { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] };
  },
});
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, toolPlugin(received), twoCalls]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

const weather = { name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

describe("legacy function calling", () => {
  test("functions reach the provider as tools (one call a turn); its call comes back as message.function_call with finish_reason function_call", async () => {
    const completion = await client.chat.completions.create({ model: "tool-model", messages: [{ role: "user", content: "Weather in Paris?" }], functions: [weather], function_call: "auto" });
    expectOpenAI("CreateChatCompletionResponse", completion);
    const sent = received.at(-1)!;
    expect(sent.tools).toEqual([{ type: "function", function: weather }]);
    expect(sent.tool_choice).toBe("auto");
    expect((sent as { parallel_tool_calls?: unknown }).parallel_tool_calls).toBe(false);
    expect(sent).not.toHaveProperty("functions");
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("function_call");
    expect(choice.message.function_call).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(choice.message.tool_calls).toBeUndefined();
  });

  test("the round trip: the assistant's function_call and the function's result reach the provider as a tool call and its tool message", async () => {
    const completion = await client.chat.completions.create({
      model: "tool-model",
      functions: [weather],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, function_call: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { role: "function", name: "get_weather", content: "12 C" },
      ],
    });
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect(received.at(-1)!.messages.slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_legacy_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_legacy_1", content: "12 C" },
    ]);
    expect(completion.choices[0]!.message.content).toBe("The tool said: 12 C");
    expect(completion.choices[0]!.finish_reason).toBe("stop");

    // Legacy turns alone (no functions in the request) are read the same way.
    await client.chat.completions.create({
      model: "tool-model",
      messages: [
        { role: "assistant", content: null, function_call: { name: "get_weather", arguments: "{}" } },
        { role: "function", name: "get_weather", content: "sunny" },
      ],
    });
    expect(received.at(-1)!.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_legacy_0", content: "sunny" });
  });

  test("streamed: function_call deltas and finish_reason function_call, every chunk OpenAI's", async () => {
    const stream = await client.chat.completions.create({ model: "tool-model", messages: [{ role: "user", content: "Weather?" }], functions: [weather], stream: true });
    let name = "";
    let args = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      expectOpenAI("CreateChatCompletionStreamResponse", chunk);
      const delta = chunk.choices[0]?.delta;
      expect(delta?.tool_calls).toBeUndefined();
      name += delta?.function_call?.name ?? "";
      args += delta?.function_call?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect([name, args, finish]).toEqual(["get_weather", '{"city":"Paris"}', "function_call"]);
  });

  test("a provider that calls two functions at once (parallel_tool_calls: true): the first call alone, streamed as not (a probe: both calls' deltas were joined into one)", async () => {
    const ask = { model: "two-call-model", messages: [{ role: "user" as const, content: "Weather and time?" }], functions: [weather, { name: "get_time" }], parallel_tool_calls: true };
    const whole = await client.chat.completions.create(ask);
    expect(whole.choices[0]!.message.function_call).toEqual({ name: "get_weather", arguments: '{"city":"Paris"}' });
    let name = "";
    let args = "";
    for await (const chunk of await client.chat.completions.create({ ...ask, stream: true })) {
      name += chunk.choices[0]?.delta?.function_call?.name ?? "";
      args += chunk.choices[0]?.delta?.function_call?.arguments ?? "";
    }
    expect([name, args]).toEqual(["get_weather", '{"city":"Paris"}']);
  });

  test("function_call names a function or none: the tool choice the provider gets", async () => {
    await client.chat.completions.create({ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: [weather], function_call: { name: "get_weather" } });
    expect(received.at(-1)!.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    await client.chat.completions.create({ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: [weather], function_call: "none" });
    expect(received.at(-1)!.tool_choice).toBe("none");
  });

  test("bad legacy input: OpenAI's envelope naming the legacy field", async () => {
    const cases: [unknown, string][] = [
      [{ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: [weather], tools: [{ type: "function", function: weather }] }, "functions"],
      [{ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: [{ description: "no name" }] }, "functions[0].name"],
      [{ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: "get_weather" }, "functions"],
      [{ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: [weather], function_call: "always" }, "function_call"],
      [{ model: "tool-model", messages: [{ role: "user", content: "x" }], functions: [weather], function_call: { name: "get_time" } }, "function_call"],
      // An assistant turn's own function_call is named as sent (a probe: messages[1].tool_calls[0].function.arguments).
      [{ model: "tool-model", messages: [{ role: "user", content: "x" }, { role: "assistant", content: null, function_call: { name: "get_weather", arguments: { a: 1 } } }, { role: "function", name: "get_weather", content: "r" }], functions: [weather] }, "messages[1].function_call.arguments"],
    ];
    for (const [body, param] of cases) {
      const answer = await fetch(`${gw.url}/v1/chat/completions`, jsonPost(body));
      expect([param, answer.status]).toEqual([param, 400]);
      const envelope = await json(answer);
      expectOpenAI("ErrorResponse", envelope);
      expect(envelope.error.param).toBe(param);
    }
  });

  test("a request without legacy fields is answered as before: tool_calls, finish_reason tool_calls", async () => {
    const completion = await client.chat.completions.create({ model: "tool-model", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: weather }] });
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(completion.choices[0]!.message.tool_calls).toHaveLength(1);
    expect(completion.choices[0]!.message).not.toHaveProperty("function_call");
  });
});
