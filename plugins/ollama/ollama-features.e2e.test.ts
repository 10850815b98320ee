/**
 * The plugin end to end (tests/ollama/e2e.ts): tool calls, images, JSON mode and reasoning,
 * driven by the official `openai` SDK against a fake Ollama that records each request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import type { FakeServer } from "../../tests/helpers/fake-server.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import { apiError, defaultRoutes, PNG, startOllamaE2E, type OllamaE2E } from "../../tests/ollama/e2e.ts";
import {
  chatLine,
  doneLine,
  fixture,
  fixtureLines,
  json,
  ndjsonResponse,
} from "../../tests/ollama/fake-ollama.ts";

let e2e: OllamaE2E;
let fake: FakeServer;
let client: OpenAI;
let images: FakeServer;

beforeAll(async () => {
  e2e = await startOllamaE2E();
  ({ fake, client, images } = e2e);
});
afterAll(() => e2e.close());
afterEach(() => e2e.reset());

/** The `/api/chat` bodies the fake received during the test. */
const chatBodies = () => e2e.chatBodies();

describe("tool calls, both ways", () => {
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Get the weather in a given city",
        parameters: { type: "object", properties: { city: { type: "string", description: "The city to get the weather for" } }, required: ["city"] },
        strict: true,
      },
    },
    { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
  ];
  const ollamaTools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Get the weather in a given city",
        parameters: { type: "object", properties: { city: { type: "string", description: "The city to get the weather for" } }, required: ["city"] },
      },
    },
    { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
  ];

  test("Ollama's tool call (object arguments, no id) comes back in OpenAI's shape, and returns as an object", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => json(fixture("chat-tools.json")) }));
    const question = { role: "user" as const, content: "what is the weather in tokyo?" };
    const first = await client.chat.completions.create({ model: "llama3.2:latest", messages: [question], tools });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(message.content).toBeNull();
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call).toEqual({ id: call.id, type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } });
    expect(chatBodies()[0]!.tools).toEqual(ollamaTools);
    expectOpenAI("CreateChatCompletionResponse", first);

    fake.handle(defaultRoutes({ "POST /api/chat": () => json({ ...fixture("chat.json"), message: { role: "assistant", content: "The current temperature in Toronto is 11°C." } }) }));
    fake.requests.length = 0;
    const second = await client.chat.completions.create({
      model: "llama3.2:latest",
      messages: [question, message, { role: "tool", tool_call_id: call.id, content: "11 degrees celsius" }],
      tools,
      tool_choice: "auto",
    });
    expect(second.choices[0]!.message.content).toBe("The current temperature in Toronto is 11°C.");
    expect(chatBodies()[0]!.messages).toEqual([
      { role: "user", content: "what is the weather in tokyo?" },
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Tokyo" } } }] },
      { role: "tool", content: "11 degrees celsius", tool_name: "get_weather" },
    ]);
  });

  test("streamed tool calls carry an index, an id and JSON-string arguments; finish_reason tool_calls", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => ndjsonResponse(fixtureLines("chat-stream-tools.ndjson")) }));
    const stream = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "what is the weather in tokyo?" }], tools, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const delta = chunks[0]!.choices[0]!.delta;
    expect(delta.tool_calls).toEqual([{ index: 0, id: delta.tool_calls![0]!.id, type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } }]);
    expect(delta.tool_calls![0]!.id).toMatch(/^call_/);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("tool_calls");
    for (const chunk of chunks) expectOpenAI("CreateChatCompletionStreamResponse", chunk);
  });

  test("tool_choice none drops the tools; a named function keeps only that tool", async () => {
    await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "hi" }], tools, tool_choice: "none" });
    await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "hi" }], tools, tool_choice: { type: "function", function: { name: "get_time" } } });
    const [none, named] = chatBodies();
    expect(none!.tools).toBeUndefined();
    expect(named!.tools).toEqual([ollamaTools[1]]);
  });

  test("arguments that are not JSON are a 400 naming the field, and Ollama is not called", async () => {
    const error = await apiError(
      client.chat.completions.create({
        model: "llama3.2:latest",
        messages: [
          { role: "user", content: "weather?" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{city: Tokyo}" } }] },
          { role: "tool", tool_call_id: "call_1", content: "11 degrees" },
        ],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe("messages[1].tool_calls[0].function.arguments");
    expect(error.message).toContain("messages[1].tool_calls[0].function.arguments");
    expect(chatBodies()).toEqual([]);
  });
});

describe("images", () => {
  test("a data URL loses its prefix; an http URL is fetched by the gateway", async () => {
    await client.chat.completions.create({
      model: "llama3.2:latest",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is in these images?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: "image_url", image_url: { url: `${images.url}/cat.png`, detail: "low" } },
          ],
        },
      ],
    });
    expect(chatBodies()[0]!.messages).toEqual([{ role: "user", content: "what is in these images?", images: [PNG, PNG] }]);
    expect(images.requests.map((r) => r.path)).toEqual(["/cat.png"]);
  });

  test("an image that cannot be fetched is a 400 naming the message and part", async () => {
    const error = await apiError(
      client.chat.completions.create({
        model: "llama3.2:latest",
        messages: [
          { role: "system", content: "Describe images." },
          { role: "user", content: [{ type: "text", text: "this?" }, { type: "image_url", image_url: { url: `${images.url}/missing.png` } }] },
        ],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe("messages[1].content[1].image_url.url");
    expect(error.message).toBe("Invalid image in 'messages[1].content[1].image_url.url': fetching the image answered HTTP 404.");
    expect(chatBodies()).toEqual([]);
  });
});

describe("JSON mode and structured outputs", () => {
  test("json_object is format \"json\" and json_schema its schema, at the top level, never in options", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => json(fixture("chat-structured.json")) }));
    const schema = { type: "object", properties: { age: { type: "integer" }, available: { type: "boolean" } }, required: ["age", "available"] };
    await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "JSON please" }], response_format: { type: "json_object" }, temperature: 0 });
    const structured = await client.chat.completions.create({
      model: "llama3.2:latest",
      messages: [{ role: "user", content: "Ollama is 22 years old and busy saving the world." }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
    });
    const [jsonMode, schemaMode] = chatBodies();
    expect(jsonMode).toEqual({ model: "llama3.2:latest", messages: [{ role: "user", content: "JSON please" }], stream: false, format: "json", options: { temperature: 0 } });
    expect(schemaMode).toEqual({ model: "llama3.2:latest", messages: [{ role: "user", content: "Ollama is 22 years old and busy saving the world." }], stream: false, format: schema });
    expect(JSON.parse(structured.choices[0]!.message.content!)).toEqual({ age: 22, available: false });
  });
});

describe("reasoning", () => {
  test("thinking goes to reasoning_content, never into content", async () => {
    fake.handle(defaultRoutes({ "POST /api/chat": () => json(fixture("chat-thinking.json")) }));
    const completion = await client.chat.completions.create({ model: "deepseek-r1:latest", messages: [{ role: "user", content: "How many letter r are in strawberry?" }], reasoning_effort: "high" });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.content).toBe("There are three letter r in strawberry.");
    expect(message.reasoning_content).toBe("Count the r's in s-t-r-a-w-b-e-r-r-y: one after t, two after e.");
    // Ollama counts thinking in eval_count without saying how much: estimated from its text (64 characters), as the contract wants it counted.
    expect(completion.usage).toEqual({ prompt_tokens: 26, completion_tokens: 298, total_tokens: 324, completion_tokens_details: { reasoning_tokens: 16 } });
    // deepseek-r1 takes no level names: a level asks for thinking with `true`.
    expect(chatBodies()[0]!.think).toBe(true);
    const response = await client.responses.create({ model: "deepseek-r1:latest", input: "How many letter r are in strawberry?", reasoning: { effort: "high" }, store: false });
    expect(response.usage).toMatchObject({ input_tokens: 26, output_tokens: 298, output_tokens_details: { reasoning_tokens: 16 } });
  });

  test("streamed thinking arrives as reasoning_content deltas", async () => {
    fake.handle(defaultRoutes({
      "POST /api/chat": () => ndjsonResponse([chatLine({ thinking: "Count" }, "qwen3"), chatLine({ thinking: " them." }, "qwen3"), chatLine({ content: "Three." }, "qwen3"), doneLine({}, "qwen3")]),
    }));
    const stream = await client.chat.completions.create({ model: "deepseek-r1:latest", messages: [{ role: "user", content: "r in strawberry?" }], stream: true });
    const deltas = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta);
    expect(deltas).toEqual([{ role: "assistant", reasoning_content: "Count" }, { reasoning_content: " them." }, { content: "Three." }, {}] as never);
    expect(chatBodies()[0]!.think).toBeUndefined();
  });

  test.each([
    ["low", "gpt-oss:20b", "low"],
    ["minimal", "gpt-oss:20b", "low"],
    ["xhigh", "gpt-oss:20b", "high"],
    ["medium", "llama3.2:latest", true],
    ["none", "deepseek-r1:latest", false],
  ] as const)("reasoning_effort %s for %s is think %p", async (effort, model, think) => {
    await client.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], reasoning_effort: effort });
    expect(chatBodies()[0]!.think).toBe(think);
  });

  test("an unknown reasoning_effort is a 400 naming it", async () => {
    const error = await apiError(
      client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }], reasoning_effort: "extreme" as "high" }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe("reasoning_effort");
  });
});


describe("log probabilities", () => {
  const lp = (token: string, logprob: number, top: { token: string; logprob: number }[] = []) => ({ token, logprob, top_logprobs: top });
  const bytes = (token: string) => Array.from(new TextEncoder().encode(token));

  test("logprobs and top_logprobs reach Ollama; its logprobs come back in OpenAI's form, streamed and not", async () => {
    fake.handle(defaultRoutes({
      "POST /api/chat": (request) =>
        (request.body as { stream?: boolean }).stream === false
          ? json({ ...doneLine(), message: { role: "assistant", content: "Hi!" }, logprobs: [lp("Hi", -0.2, [lp("Hi", -0.2), lp("Hey", -1.9)]), lp("!", -0.05)] })
          : ndjsonResponse([{ ...chatLine({ content: "Hi" }), logprobs: [lp("Hi", -0.2)] }, { ...chatLine({ content: "!" }), logprobs: [lp("!", -0.05)] }, doneLine()]),
    }));
    const answer = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Greet me" }], logprobs: true, top_logprobs: 2 });
    expectOpenAI("CreateChatCompletionResponse", answer);
    expect(chatBodies()[0]).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(answer.choices[0]!.logprobs).toEqual({
      content: [
        { token: "Hi", logprob: -0.2, bytes: bytes("Hi"), top_logprobs: [{ token: "Hi", logprob: -0.2, bytes: bytes("Hi") }, { token: "Hey", logprob: -1.9, bytes: bytes("Hey") }] },
        { token: "!", logprob: -0.05, bytes: bytes("!"), top_logprobs: [] },
      ],
      refusal: null,
    });

    const stream = await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Greet me" }], logprobs: true, stream: true });
    const tokens: string[] = [];
    for await (const chunk of stream) {
      expectOpenAI("CreateChatCompletionStreamResponse", chunk);
      for (const entry of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(entry.token);
    }
    expect(tokens).toEqual(["Hi", "!"]);
    expect(chatBodies()[1]).toMatchObject({ logprobs: true });
    expect(chatBodies()[1]).not.toHaveProperty("top_logprobs");
  });

  test("without logprobs Ollama is not asked", async () => {
    await client.chat.completions.create({ model: "llama3.2:latest", messages: [{ role: "user", content: "Hi" }] });
    expect(chatBodies()[0]).not.toHaveProperty("logprobs");
  });
});
