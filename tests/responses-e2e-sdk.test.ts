// End to end on a real port: the official `openai` SDK's `responses.*`, the Vercel AI SDK's default
// OpenAI provider (which posts to /v1/responses) and the OpenAI Agents SDK, unchanged, against
// Ollaix. Every answer and stream event the SDK saw is validated against OpenAI's own document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createOpenAI } from "@ai-sdk/openai";
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from "@openai/agents";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { z } from "zod";
import dummy from "../plugins/dummy/index.ts";
import type { ChatRequest } from "../src/kit.ts";
import { slowPlugin } from "./helpers/slow-plugin.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";
import { countPromptTokens } from "../src/surfaces/token-count.ts";
import { CUSTOM_INPUT, toolPlugin } from "./helpers/tool-plugin.ts";

let gw: TestGateway;
let client: OpenAI;
const received: ChatRequest[] = [];

const slowSignals: AbortSignal[] = [];
const slow = slowPlugin(slowSignals);

beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, toolPlugin(received), slow]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: true,
};

describe("openai SDK: client.responses", () => {
  test("create (not streamed), then retrieve, input_items and delete", async () => {
    const response = await client.responses.create({ model: "dummy-model:1.0", instructions: "Be brief.", input: "Hello there" });
    expectOpenAI("Response", response);
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe("completed");
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBeGreaterThan(0);

    const again = await client.responses.retrieve(response.id);
    expect(again.id).toBe(response.id);
    expect(again.output).toEqual(response.output);

    const items = await client.responses.inputItems.list(response.id);
    const page = await (await fetch(`${gw.url}/v1/responses/${response.id}/input_items`)).json();
    expectOpenAI("ResponseItemList", page);
    expect(items.data).toEqual([expect.objectContaining({ type: "message", role: "user", content: [{ type: "input_text", text: "Hello there" }] })]);

    await client.responses.delete(response.id);
    expect(await client.responses.retrieve(response.id).catch((e) => e)).toMatchObject({ status: 404 });
  });

  test("create with stream: true; every event validates and the final response matches the deltas", async () => {
    const stream = await client.responses.create({ model: "dummy-model:1.0", input: "Stream please", stream: true });
    const events: { type: string; sequence_number: number }[] = [];
    let text = "";
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      events.push(event);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]!.type).toBe("response.created");
    const last = events.at(-1) as unknown as { type: string; response: OpenAI.Responses.Response };
    expect(last.type).toBe("response.completed");
    expect(last.response.output_text ?? last.response.output.flatMap((o) => (o.type === "message" ? o.content : [])).map((c) => (c.type === "output_text" ? c.text : "")).join("")).toBe(text);
    // Stored once the stream ends, with its input made into items when read.
    const items = await client.responses.inputItems.list(last.response.id);
    expect(items.data.map((item) => [item.id, item.type === "message" ? item.content : null])).toEqual([
      [`msg_${last.response.id.slice(5)}i0000`, [{ type: "input_text", text: "Stream please" }]],
    ]);
  });

  test("responses.stream helper gives the final response", async () => {
    const runner = client.responses.stream({ model: "dummy-model:1.0", input: "Hi" });
    const final = await runner.finalResponse();
    expectOpenAI("Response", final);
    expect(final.output_text.length).toBeGreaterThan(0);
  });

  test("a function-tool round trip with previous_response_id", async () => {
    const first = await client.responses.create({ model: "tool-model", input: "Weather in Paris?", tools: [weatherTool] });
    expectOpenAI("Response", first);
    const call = first.output.find((o) => o.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"Paris"}' });
    expect(first.output[0]).toMatchObject({ type: "reasoning", summary: [{ type: "summary_text", text: "I should call the tool." }] });
    expect(first.usage?.output_tokens_details.reasoning_tokens).toBe(3);

    const second = await client.responses.create({
      model: "tool-model",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: (call as { call_id: string }).call_id, output: "sunny, 24 C" }],
      tools: [weatherTool],
    });
    expectOpenAI("Response", second);
    expect(second.output_text).toBe("The tool said: sunny, 24 C");
    // What the model got: the stored turn (user, assistant with its thinking and call), then the output.
    expect(received.at(-1)!.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "I should call the tool.",
        tool_calls: [{ id: (call as { call_id: string }).call_id, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      } as never,
      { role: "tool", tool_call_id: (call as { call_id: string }).call_id, content: "sunny, 24 C" },
    ]);
    const items = await client.responses.inputItems.list(second.id, { order: "asc" });
    expect(items.data.map((i) => i.type)).toEqual(["message", "reasoning", "function_call", "function_call_output"]);
  });

  test("a function-tool round trip with the full item history and store: false (streamed)", async () => {
    const stream = await client.responses.create({ model: "tool-model", input: "Weather in Paris?", tools: [weatherTool], store: false, stream: true });
    let first: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      if (event.type === "response.completed") first = event.response;
    }
    expect((first as unknown as { store: boolean }).store).toBe(false);
    expect(await client.responses.retrieve(first!.id).catch((e) => e)).toMatchObject({ status: 404 });
    const call = first!.output.find((o) => o.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.arguments).toBe('{"city":"Paris"}');
    const second = await client.responses.create({
      model: "tool-model",
      store: false,
      tools: [weatherTool],
      input: [
        { role: "user", content: "Weather in Paris?" },
        ...(first!.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: call.call_id, output: "cloudy" },
      ],
    });
    expect(second.output_text).toBe("The tool said: cloudy");
  });

  // A custom tool (Codex's freeform apply_patch, the AI SDK's customTool): text in, not JSON arguments.
  const patchTool = {
    type: "custom" as const,
    name: "apply_patch",
    description: "Edit files with a patch",
    format: { type: "grammar" as const, syntax: "lark" as const, definition: 'start: "*** Begin Patch" LF hunk+ "*** End Patch"' },
  };

  test("a custom-tool round trip with previous_response_id: a custom_tool_call with the model's text, then its output", async () => {
    const first = await client.responses.create({ model: "tool-model", input: "Add the file.", tools: [patchTool], tool_choice: { type: "custom", name: "apply_patch" } });
    expectOpenAI("Response", first);
    expect(first.tools).toEqual([patchTool]);
    const call = first.output.find((o) => o.type === "custom_tool_call") as OpenAI.Responses.ResponseCustomToolCall;
    expect(call).toMatchObject({ type: "custom_tool_call", name: "apply_patch", input: CUSTOM_INPUT });
    // What reached the model: a function of one string whose description carries the grammar, forced.
    const sent = received.at(-1)!;
    expect(sent.tools![0]!.function.parameters).toMatchObject({ properties: { input: { type: "string" } }, required: ["input"] });
    expect(JSON.stringify(sent.tools![0]!.function.parameters)).toContain("Lark grammar");
    expect(sent.tool_choice).toEqual({ type: "function", function: { name: "apply_patch" } });

    const second = await client.responses.create({
      model: "tool-model",
      previous_response_id: first.id,
      input: [{ type: "custom_tool_call_output", call_id: call.call_id, output: "Applied." }],
      tools: [patchTool],
    });
    expectOpenAI("Response", second);
    expect(second.output_text).toBe("The tool said: Applied.");
    expect(received.at(-1)!.messages.slice(1)).toEqual([
      expect.objectContaining({ role: "assistant", tool_calls: [{ id: call.call_id, type: "function", function: { name: "apply_patch", arguments: JSON.stringify({ input: CUSTOM_INPUT }) } }] }),
      { role: "tool", tool_call_id: call.call_id, content: "Applied." },
    ]);
    const items = await client.responses.inputItems.list(second.id, { order: "asc" });
    expectOpenAI("ResponseItemList", await (await fetch(`${gw.url}/v1/responses/${second.id}/input_items?order=asc`)).json());
    expect(items.data.map((i) => i.type)).toEqual(["message", "reasoning", "custom_tool_call", "custom_tool_call_output"]);
  });

  test("a custom-tool round trip streamed, with the full item history and store: false: the input arrives as text deltas", async () => {
    const stream = await client.responses.create({ model: "tool-model", input: "Add the file.", tools: [patchTool], store: false, stream: true });
    let first: OpenAI.Responses.Response | undefined;
    let deltas = "";
    let done: string | undefined;
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      if (event.type === "response.custom_tool_call_input.delta") deltas += event.delta;
      if (event.type === "response.custom_tool_call_input.done") done = event.input;
      if (event.type === "response.completed") first = event.response;
    }
    expect(deltas).toBe(CUSTOM_INPUT);
    expect(done).toBe(CUSTOM_INPUT);
    const call = first!.output.find((o) => o.type === "custom_tool_call") as OpenAI.Responses.ResponseCustomToolCall;
    expect(call.input).toBe(CUSTOM_INPUT);
    const second = await client.responses.create({
      model: "tool-model",
      store: false,
      tools: [patchTool],
      input: [{ role: "user", content: "Add the file." }, ...(first!.output as OpenAI.Responses.ResponseInputItem[]), { type: "custom_tool_call_output", call_id: call.call_id, output: "ok" }],
    });
    expect(second.output_text).toBe("The tool said: ok");
    expect(received.at(-1)!.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
  });

  test("calls and outputs that do not pair up are OpenAI's 400 naming input, before any model call", async () => {
    const first = await client.responses.create({ model: "tool-model", input: "Weather in Paris?", tools: [weatherTool] });
    const call = first.output.find((o) => o.type === "function_call") as { call_id: string };
    const calls = received.length;
    // The previous response ended with a call: a user message instead of its output.
    const unanswered = await client.responses.create({ model: "tool-model", previous_response_id: first.id, input: "Never mind.", tools: [weatherTool] }).catch((e) => e);
    expect(unanswered).toBeInstanceOf(OpenAI.BadRequestError);
    expect(unanswered).toMatchObject({ status: 400, param: "input", message: `400 No tool output found for function call ${call.call_id}.` });
    // An output for a call nobody made.
    const orphan = await client.responses
      .create({ model: "tool-model", previous_response_id: first.id, input: [{ type: "function_call_output", call_id: "call_missing", output: "42" }] })
      .catch((e) => e);
    expect(orphan).toBeInstanceOf(OpenAI.BadRequestError);
    expect(orphan).toMatchObject({ status: 400, param: "input", message: "400 No tool call found for function call output with call_id call_missing." });
    expect(received.length).toBe(calls);
  });

  test("an unknown previous_response_id is OpenAI's 400", async () => {
    const error = await client.responses.create({ model: "dummy-model:1.0", input: "x", previous_response_id: "resp_missing" }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: "previous_response_not_found", param: "previous_response_id" });
  });

  test("an unknown conversation is a 404 naming it; a prompt template (kept at OpenAI, not here) is a 400 naming it, not silently dropped", async () => {
    const conversation = await client.responses.create({ model: "dummy-model:1.0", input: "x", conversation: "conv_123" }).catch((e) => e);
    expect(conversation).toBeInstanceOf(OpenAI.NotFoundError);
    expect(conversation).toMatchObject({ status: 404, param: "conversation" });
    const prompt = await client.responses.create({ model: "dummy-model:1.0", input: "x", prompt: { id: "pmpt_123" } }).catch((e) => e);
    expect(prompt).toBeInstanceOf(OpenAI.BadRequestError);
    expect(prompt).toMatchObject({ status: 400, param: "prompt" });
  });

  test("cancel refuses a foreground response and names a missing one (background responses: responses-background.test.ts)", async () => {
    const foreground = await client.responses.create({ model: "dummy-model:1.0", input: "Hello" });
    expect("background" in foreground).toBe(false);
    const refused = await client.responses.cancel(foreground.id).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, error: { type: "invalid_request_error", message: "Cannot cancel a synchronous response." } });
    expect(await client.responses.cancel("resp_missing").catch((e) => e)).toMatchObject({ status: 404, param: "response_id" });
  });

  test("inputTokens.count: the gateway's BPE count of what the same create would send, a previous response's conversation included", async () => {
    const alone = await client.responses.inputTokens.count({ model: "dummy-model:1.0", instructions: "Be brief.", input: "Tell me a joke." });
    expectOpenAI("TokenCountsResource", alone);
    expect(alone).toEqual({
      object: "response.input_tokens",
      input_tokens: await countPromptTokens([{ role: "system", content: "Be brief." }, { role: "user", content: "Tell me a joke." }], undefined),
    });

    const first = await client.responses.create({ model: "dummy-model:1.0", input: "Hello there" });
    const next = await client.responses.inputTokens.count({ model: "dummy-model:1.0", previous_response_id: first.id, input: "And then?", tools: [weatherTool] });
    const tools = [{ type: "function" as const, function: { name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.parameters, strict: true } }];
    const history = [
      { role: "user" as const, content: "Hello there" },
      { role: "assistant" as const, content: first.output_text },
      { role: "user" as const, content: "And then?" },
    ];
    expect(next.input_tokens).toBe(await countPromptTokens(history, tools));

    // A JSON schema the answer must follow is part of what the model is given.
    const schema = { type: "object", properties: { joke: { type: "string" } }, required: ["joke"], additionalProperties: false };
    const formatted = await client.responses.inputTokens.count({
      model: "dummy-model:1.0",
      instructions: "Be brief.",
      input: "Tell me a joke.",
      text: { format: { type: "json_schema", name: "joke", schema, strict: true } },
    });
    expect(formatted.input_tokens).toBe(
      await countPromptTokens([{ role: "system", content: "Be brief." }, { role: "user", content: "Tell me a joke." }], undefined, {
        type: "json_schema",
        json_schema: { name: "joke", schema, strict: true },
      }),
    );
    expect(formatted.input_tokens).toBeGreaterThan(alone.input_tokens + 10);

    // A custom tool and its call are counted as what the provider is sent: a function of one string, its call's arguments.
    const customTool = { type: "custom" as const, name: "note", description: "Take a note" };
    const customCount = await client.responses.inputTokens.count({
      model: "dummy-model:1.0",
      tools: [customTool],
      input: [
        { role: "user", content: "Note it." },
        { type: "custom_tool_call", call_id: "call_n", name: "note", input: "milk, eggs" },
        { type: "custom_tool_call_output", call_id: "call_n", output: "noted" },
      ],
    });
    expect(customCount.input_tokens).toBe(
      await countPromptTokens(
        [
          { role: "user", content: "Note it." },
          { role: "assistant", content: null, tool_calls: [{ id: "call_n", type: "function", function: { name: "note", arguments: '{"input":"milk, eggs"}' } }] },
          { role: "tool", tool_call_id: "call_n", content: "noted" },
        ],
        [
          {
            type: "function",
            function: {
              name: "note",
              description: "Take a note",
              parameters: { type: "object", properties: { input: { type: "string", description: "The tool's input, as free-form text." } }, required: ["input"], additionalProperties: false },
            },
          },
        ],
      ),
    );

    // Null is leaving a field out (OpenAI's TokenCountsBody makes them nullable); fields it does not have are ignored.
    const nulls = { model: "dummy-model:1.0", instructions: "Be brief.", input: null, tools: null, tool_choice: null, user: 5, stream: true };
    const instructionsOnly = await client.responses.inputTokens.count(nulls as unknown as OpenAI.Responses.InputTokenCountParams);
    expect(instructionsOnly.input_tokens).toBe(await countPromptTokens([{ role: "system", content: "Be brief." }], undefined));

    // Counting generates nothing: the model is never asked.
    const asked = received.length;
    const counted = await client.responses.inputTokens.count({ model: "tool-model", input: "Weather in Paris?", tools: [weatherTool] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(received).toHaveLength(asked);

    for (const [params, param] of [
      [{ model: "dummy-model:1.0", input: "x", previous_response_id: "resp_missing" }, "previous_response_id"],
      [{ input: "x" }, "model"],
      [{ model: "dummy-model:1.0", input: "x", conversation: "conv_1", previous_response_id: "resp_1" }, "conversation"],
      [{ model: "dummy-model:1.0", input: "x", tools: [{ type: "web_search" }] }, "tools[0].type"],
      // What the completion would refuse is not counted either.
      [{ model: "dummy-model:1.0", input: "x", tools: [weatherTool], tool_choice: { type: "function", name: "get_time" } }, "tool_choice"],
    ] as const) {
      const error = await client.responses.inputTokens.count(params as OpenAI.Responses.InputTokenCountParams).catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error).toMatchObject({ status: 400, param });
    }
    expect(await client.responses.inputTokens.count({ model: "nope", input: "x" }).catch((e) => e)).toMatchObject({ status: 404, code: "model_not_found" });
  });

  test("a client that leaves a stream aborts the provider's call; the gateway keeps serving", async () => {
    const controller = new AbortController();
    const stream = await client.responses.create({ model: "slow-model", input: "Count", stream: true }, { signal: controller.signal });
    let deltas = 0;
    for await (const event of stream) {
      expectOpenAI("ResponseStreamEvent", event);
      if (event.type === "response.output_text.delta" && ++deltas === 3) controller.abort();
    }
    // The SDK ends the iteration quietly on its own abort: nothing arrives after it.
    expect(deltas).toBe(3);
    for (let i = 0; i < 100 && !slowSignals.at(-1)?.aborted; i++) await Bun.sleep(10);
    expect(slowSignals).toHaveLength(1);
    expect(slowSignals[0]!.aborted).toBe(true);
    expectOpenAI("Response", await client.responses.create({ model: "dummy-model:1.0", input: "Still there?" }));
  });
});

describe("Vercel AI SDK: the default OpenAI provider (Responses)", () => {
  const provider = () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused" });

  test("generateText", async () => {
    const result = await generateText({ model: provider()("dummy-model:1.0"), prompt: "Hello", maxRetries: 0 });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  test("streamText", async () => {
    const result = streamText({ model: provider()("dummy-model:1.0"), prompt: "Hello", maxRetries: 0 });
    let text = "";
    for await (const piece of result.textStream) text += piece;
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(await result.text);
    expect(await result.finishReason).toBe("stop");
  });

  test("a tool the model calls, executed by the SDK", async () => {
    const { tool: aiTool, stepCountIs } = await import("ai");
    const result = await generateText({
      model: provider()("tool-model"),
      prompt: "Weather in Paris?",
      tools: { get_weather: aiTool({ description: "Weather", inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `rain in ${city}` }) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(result.text).toBe("The tool said: rain in Paris");
  });

  test("a custom tool (openai.tools.customTool), executed by the SDK with the model's text, not and streamed", async () => {
    const { stepCountIs } = await import("ai");
    const inputs: string[] = [];
    const tools = {
      apply_patch: provider().tools.customTool({
        description: "Edit files with a patch",
        format: { type: "grammar", syntax: "lark", definition: 'start: "*** Begin Patch" LF hunk+ "*** End Patch"' },
        execute: async (input: string) => {
          inputs.push(input);
          return "patched";
        },
      } as never),
    };
    const result = await generateText({ model: provider()("tool-model"), prompt: "Add the file.", tools, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(result.text).toBe("The tool said: patched");
    const streamed = streamText({ model: provider()("tool-model"), prompt: "Add the file.", tools, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(await streamed.text).toBe("The tool said: patched");
    expect(inputs).toEqual([CUSTOM_INPUT, CUSTOM_INPUT]);
  });

  test("a tool whose result the model sees as text and an image (toModelOutput): the image reaches the model after the tool's text", async () => {
    const { tool: aiTool, stepCountIs } = await import("ai");
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const result = await generateText({
      model: provider()("tool-model"),
      prompt: "Show me Paris.",
      tools: {
        snapshot: aiTool({
          description: "A picture of a city",
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => ({ city, png }),
          toModelOutput: ({ output }) => ({
            type: "content",
            value: [
              { type: "text", text: `Snapshot of ${output.city}` },
              { type: "file", data: { type: "data", data: output.png }, mediaType: "image/png" },
            ],
          }),
        }),
      },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(result.text).toBe("The tool said: Snapshot of Paris (+1 image)");
    const image = received.at(-1)!.messages.at(-1)!.content as { type: string; image_url?: { url: string } }[];
    expect(image[1]).toEqual({ type: "image_url", image_url: { url: `data:image/png;base64,${png}` } });
  });

  test("continuing with previousResponseId: the call the SDK sends again is the stored call, not a second assistant turn", async () => {
    const { tool: aiTool, stepCountIs } = await import("ai");
    const tools = { get_weather: aiTool({ description: "Weather", inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `rain in ${city}` }) };
    const prompt = [{ role: "user" as const, content: "Weather in Paris?" }];
    const first = await generateText({ model: provider()("tool-model"), messages: prompt, tools, stopWhen: stepCountIs(1), maxRetries: 0 });
    expect(first.toolResults).toHaveLength(1);
    const second = await generateText({
      model: provider()("tool-model"),
      // What follows the stored response: its tool call (sent again by the SDK) and the tool's result.
      messages: first.response.messages,
      tools,
      providerOptions: { openai: { previousResponseId: first.providerMetadata!.openai!.responseId as string } },
      maxRetries: 0,
    });
    expect(second.text).toBe("The tool said: rain in Paris");
    // What the model read: the stored turn once, then the tool's output (the SDK sent the call again).
    const messages = received.at(-1)!.messages;
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(messages[1]!.tool_calls).toHaveLength(1);
    expect(messages[2]!.tool_call_id).toBe(messages[1]!.tool_calls![0]!.id);
  });

  test("continuing with previousResponseId after text and a call: the SDK's reference to the stored text is that turn, once", async () => {
    const { tool: aiTool, stepCountIs } = await import("ai");
    const tools = { get_weather: aiTool({ description: "Weather", inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `rain in ${city}` }) };
    const model = provider()("tool-model-preamble");
    const first = await generateText({ model, messages: [{ role: "user", content: "Weather in Paris?" }], tools, stopWhen: stepCountIs(1), maxRetries: 0 });
    expect(first.text).toBe("Let me check.");
    const previousResponseId = first.providerMetadata!.openai!.responseId as string;
    const second = await generateText({ model, messages: first.response.messages, tools, providerOptions: { openai: { previousResponseId } }, maxRetries: 0 });
    expect(second.text).toBe("The tool said: rain in Paris");
    // The SDK sent [item_reference to the stored "Let me check.", the call, its output].
    expect(received.at(-1)!.messages as unknown[]).toEqual([
      { role: "user", content: "Weather in Paris?" },
      expect.objectContaining({ role: "assistant", content: "Let me check.", tool_calls: [expect.objectContaining({ function: { name: "get_weather", arguments: '{"city":"Paris"}' } })] }),
      expect.objectContaining({ role: "tool", content: "rain in Paris" }),
    ]);
  });
});

describe("OpenAI Agents SDK: an agent with one function tool on its default Responses model", () => {
  test("the agent calls the tool and answers with its result", async () => {
    setTracingDisabled(true);
    const runner = new Runner({
      modelProvider: new OpenAIProvider({ openAIClient: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 }) }),
    });
    let calledWith: string | undefined;
    const agent = new Agent({
      name: "Weather agent",
      instructions: "Use the tool.",
      model: "tool-model",
      tools: [
        tool({
          name: "get_weather",
          description: "Weather of a city",
          parameters: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            calledWith = city;
            return `hail in ${city}`;
          },
        }),
      ],
    });
    const result = await runner.run(agent, "Weather in Paris?");
    expect(calledWith).toBe("Paris");
    expect(result.finalOutput).toBe("The tool said: hail in Paris");
  });

  test("a tool that returns an image: the model gets the tool's result and then the image (chat tool messages carry text only)", async () => {
    setTracingDisabled(true);
    const runner = new Runner({
      modelProvider: new OpenAIProvider({ openAIClient: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 }) }),
    });
    const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const agent = new Agent({
      name: "Camera agent",
      instructions: "Use the tool.",
      model: "tool-model",
      tools: [tool({ name: "snapshot", description: "A picture of a city", parameters: z.object({ city: z.string() }), execute: async () => ({ type: "image" as const, image: png }) })],
    });
    const result = await runner.run(agent, "Show me Paris.");
    const messages = received.at(-1)!.messages;
    const callId = messages.at(-3)!.tool_calls![0]!.id;
    const only = `[the output is the images in the user message labelled "images returned by tool call ${callId}"]`;
    expect(result.finalOutput).toBe(`The tool said: ${only} (+1 image)`);
    expect(messages.slice(-2)).toEqual([
      { role: "tool", tool_call_id: callId, content: only },
      { role: "user", content: [{ type: "text", text: `[images returned by tool call ${callId}]` }, { type: "image_url", image_url: { url: png } }] },
    ]);
  });

  test("a Chat Completions agent's history continued by a Responses agent: every turn reaches the model", async () => {
    // The SDK's Chat Completions model gives every item of one completion the completion's id, and
    // copies its `refusal: null` into output_text parts: items that share an id are still distinct.
    const { OpenAIChatCompletionsModel, OpenAIResponsesModel, user } = await import("@openai/agents");
    setTracingDisabled(true);
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const weather = tool({ name: "get_weather", description: "Weather of a city", parameters: z.object({ city: z.string() }), execute: async ({ city }) => `hail in ${city}` });
    const runner = new Runner();
    const chatAgent = new Agent({ name: "Chat agent", instructions: "Be brief.", model: new OpenAIChatCompletionsModel(sdk, "tool-model-preamble"), tools: [weather] });
    const first = await runner.run(chatAgent, "Weather in Paris?");
    expect(first.finalOutput).toBe("The tool said: hail in Paris");
    const shared = first.history.filter((item) => "id" in item && typeof item.id === "string").map((item) => (item as { id: string }).id);
    expect(new Set(shared).size).toBeLessThan(shared.length); // the case this test is about
    const responsesAgent = new Agent({ name: "Responses agent", instructions: "Be brief.", model: new OpenAIResponsesModel(sdk, "tool-model") });
    const second = await runner.run(responsesAgent, [...first.history, user("Summarize.")]);
    expect(second.finalOutput).toBe("No tool needed.");
    const messages = received.at(-1)!.messages;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant", "user"]);
    const call = messages[2]!.tool_calls?.[0];
    expect([messages[2]!.content, call?.function]).toEqual(["Let me check.", { name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(messages[3]!.tool_call_id).toBe(call!.id);
  });
});
