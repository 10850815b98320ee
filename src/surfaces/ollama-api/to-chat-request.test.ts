import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "./schemas.ts";
import { fromOllamaChat, fromOllamaGenerate, toDataUrl, toReasoningEffort, toResponseFormat } from "./to-chat-request.ts";
import { toolCallId } from "./tool-call-ids.ts";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("fromOllamaChat: messages", () => {
  test("an image that is not base64 (nor a data: URL) is Ollama's 400 naming it, not a data URL sent upstream", () => {
    for (const image of ["!!!notbase64***", "iVBOR w0K", "a=b"]) {
      expect(() => fromOllamaGenerate({ model: "m", prompt: "hi", images: [image] }, false)).toThrow(expect.objectContaining({ status: 400, param: "images[0]" }));
      expect(() => fromOllamaChat({ model: "m", messages: [{ role: "user", content: "hi", images: [PNG, image] }] }, false)).toThrow(
        expect.objectContaining({ status: 400, param: "messages[0].images[1]" }),
      );
    }
    expect(() => fromOllamaGenerate({ model: "m", prompt: "hi", images: [`${PNG.slice(0, 20)}\n${PNG.slice(20)}`] }, false)).not.toThrow();
    // A long run of line breaks before a bad character is refused as it comes (a pattern that backtracked took seconds on 40,000).
    expect(() => fromOllamaGenerate({ model: "m", prompt: "hi", images: [`A${"\n".repeat(500_000)}!`] }, false)).toThrow(expect.objectContaining({ status: 400 }));
  });


  test("a tool result's images follow the run of tool results as a labelled user message; on a system or assistant message they are a 400", () => {
    const body: ChatRequest = {
      model: "m",
      messages: [
        { role: "user", content: "Shoot both" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "screenshot", arguments: {} } }, { function: { name: "clock", arguments: {} } }] },
        { role: "tool", content: "saved", tool_name: "screenshot", images: [PNG] },
        { role: "tool", content: "12:00", tool_name: "clock" },
        { role: "user", content: "What do you see?" },
      ],
    };
    const roles = fromOllamaChat(body, false).chat.messages.map((m) => [m.role, m.content == null || typeof m.content === "string" ? m.content : m.content.map((p) => (p.type === "text" ? p.text : p.type))]);
    expect(roles).toEqual([
      ["user", "Shoot both"],
      ["assistant", null],
      ["tool", "saved"],
      ["tool", "12:00"],
      ["user", ["[images returned by tool screenshot]", "image_url"]],
      ["user", "What do you see?"],
    ]);
    for (const role of ["system", "assistant"] as const) {
      expect(() => fromOllamaChat({ model: "m", messages: [{ role, content: "x", images: [PNG] }, { role: "user", content: "y" }] }, false)).toThrow(
        expect.objectContaining({ status: 400, param: "messages[0].images" }),
      );
    }
  });


  test("system, user with images, assistant with thinking: the pipeline's shapes", () => {
    const body: ChatRequest = {
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is this?", images: [PNG] },
        { role: "assistant", content: "A pixel.", thinking: "Tiny image." },
        { role: "user", content: "Sure?" },
      ],
    };
    const before = structuredClone(body);
    expect(fromOllamaChat(body, true)).toEqual({
      chat: {
        model: "m",
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
          { role: "assistant", content: "A pixel.", reasoning_content: "Tiny image." } as never,
          { role: "user", content: "Sure?" },
        ],
      },
      ignored: [],
    });
    expect(body).toEqual(before);
  });

  test("an image-only user message has no empty text part; content may be left out", () => {
    const { chat } = fromOllamaChat({ model: "m", messages: [{ role: "user", images: ["/9j/4AAQ"] }] }, false);
    expect(chat.messages[0]).toEqual({ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } }] });
  });

  test("an empty image is a 400 naming it", () => {
    expect(() => fromOllamaChat({ model: "m", messages: [{ role: "user", content: "x", images: [""] }] }, false)).toThrow(
      "Invalid 'messages[0].images[0]': an image must be base64 data.",
    );
  });
});

describe("fromOllamaChat: tool calls and results", () => {
  const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];

  test("arguments objects become JSON text, ids are stable, each result links to its call by tool_name", () => {
    const body: ChatRequest = {
      model: "m",
      tools,
      messages: [
        { role: "user", content: "Weather in Paris and the time?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [
            { function: { name: "get_time", arguments: {} } },
            { function: { name: "get_weather", arguments: { city: "Paris" } } },
          ],
        },
        { role: "tool", content: "22°C", tool_name: "get_weather" },
        { role: "tool", content: "12:00", tool_name: "get_time" },
      ],
    };
    const { chat } = fromOllamaChat(body, false);
    const timeId = toolCallId(1, 0, "get_time");
    const weatherId = toolCallId(1, 1, "get_weather");
    expect(timeId).toMatch(/^[a-z0-9]{9}$/);
    expect(timeId).not.toBe(weatherId);
    expect(chat.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: timeId, type: "function", function: { name: "get_time", arguments: "{}" } },
          { id: weatherId, type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", content: "22°C", tool_call_id: weatherId },
      { role: "tool", content: "12:00", tool_call_id: timeId },
    ]);
    expect(chat.tools).toEqual(tools as never);
    // The next turn re-creates the same ids for the same history.
    expect(fromOllamaChat(body, false).chat.messages).toEqual(chat.messages);
  });

  test("results without tool_name answer the calls in order; two calls of one tool in the order made", () => {
    const { chat } = fromOllamaChat(
      {
        model: "m",
        messages: [
          { role: "user", content: "Two cities" },
          { role: "assistant", tool_calls: [{ function: { name: "w", arguments: { c: "A" } } }, { function: { name: "w", arguments: { c: "B" } } }] },
          { role: "tool", content: "a", tool_name: "w" },
          { role: "tool", content: "b" },
        ],
      },
      false,
    );
    expect(chat.messages.slice(2).map((m) => m.tool_call_id)).toEqual([toolCallId(1, 0, "w"), toolCallId(1, 1, "w")]);
  });

  test("ids the client sent are kept; a result with nothing to answer gets its own id and the tool's name", () => {
    const { chat } = fromOllamaChat(
      {
        model: "m",
        messages: [
          { role: "assistant", tool_calls: [{ id: "call_x", function: { name: "w", arguments: {} } }] },
          { role: "tool", content: "a", tool_call_id: "call_x" },
          { role: "tool", content: "late", tool_name: "w" },
        ],
      },
      false,
    );
    expect(chat.messages[0]!.tool_calls![0]!.id).toBe("call_x");
    expect(chat.messages[1]).toEqual({ role: "tool", content: "a", tool_call_id: "call_x" });
    expect(chat.messages[2]).toMatchObject({ role: "tool", content: "late", name: "w" });
    expect(chat.messages[2]!.tool_call_id).toMatch(/^[a-z0-9]{9}$/);
  });

  test("a result whose id names no call of the turn before (a client's own uuid) is linked by its tool's name (a probe)", () => {
    const { chat } = fromOllamaChat(
      {
        model: "m",
        messages: [
          { role: "assistant", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
          { role: "tool", content: "sunny", tool_name: "get_weather", tool_call_id: "3f1c2a9e-uuid" },
        ],
      },
      false,
    );
    const callId = chat.messages[0]!.tool_calls![0]!.id;
    expect(chat.messages[1]).toEqual({ role: "tool", content: "sunny", tool_call_id: callId });
  });

  test("a tool without parameters gets an empty object schema", () => {
    const { chat } = fromOllamaChat({ model: "m", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "now" } }] }, false);
    expect(chat.tools).toEqual([{ type: "function", function: { name: "now", parameters: { type: "object", properties: {} } } }]);
  });
});

describe("options, format, think", () => {
  test("the mapped options reach their Chat Completions fields; the rest, and keep_alive, are the client's options for a plugin that speaks Ollama", () => {
    const { chat, clientOptions, ignored } = fromOllamaChat(
      {
        model: "m",
        messages: [{ role: "user", content: "x" }],
        keep_alive: "5m",
        options: { temperature: 0.2, top_p: 0.9, top_k: 40, num_predict: 64, stop: ["\n\n"], seed: 7, presence_penalty: 0.5, frequency_penalty: 0.25, num_ctx: 4096, mirostat: 1 } as never,
      },
      false,
    );
    // top_k: also the chat request's (an extra, as Anthropic's), and still among the options for a plugin that speaks Ollama.
    expect(chat).toMatchObject({ temperature: 0.2, top_p: 0.9, top_k: 40, max_tokens: 64, stop: ["\n\n"], seed: 7, presence_penalty: 0.5, frequency_penalty: 0.25 });
    expect(clientOptions).toEqual({ surface: "ollama", options: { top_k: 40, num_ctx: 4096, mirostat: 1 }, keepAlive: "5m" });
    expect(chat).not.toHaveProperty("num_ctx");
    expect(ignored).toEqual([]);
    // Nothing beyond the mapped ones: none.
    expect(fromOllamaChat({ model: "m", messages: [{ role: "user", content: "x" }], options: { temperature: 1 } }, false).clientOptions).toBeUndefined();
  });

  test.each([
    [-1, undefined],
    [-2, undefined],
    [0, undefined],
    [10, 10],
  ])("num_predict %p → max_tokens %p", (n, expected) => {
    expect(fromOllamaChat({ model: "m", messages: [{ role: "user", content: "x" }], options: { num_predict: n } }, false).chat.max_tokens).toBe(expected as never);
  });

  test.each([
    [undefined, undefined],
    [null, undefined],
    ["", undefined],
    ["json", { type: "json_object" }],
    [{ type: "object", properties: { age: { type: "integer" } } }, { type: "json_schema", json_schema: { name: "response", schema: { type: "object", properties: { age: { type: "integer" } } } } }],
  ])("format %p", (format, expected) => {
    expect(toResponseFormat(format as never)).toEqual(expected as never);
  });

  test("a format that is neither json nor a schema is a 400", () => {
    expect(() => toResponseFormat("yaml")).toThrow(`Invalid 'format': expected "json" or a JSON schema, got "yaml".`);
  });

  test.each([
    [undefined, undefined],
    [true, "medium"],
    [false, "none"],
    ["low", "low"],
    ["medium", "medium"],
    ["high", "high"],
    ["max", "max"],
  ])("think %p → reasoning_effort %p", (think, effort) => {
    expect(toReasoningEffort(think as never)).toBe(effort as never);
    const { chat } = fromOllamaChat({ model: "m", messages: [{ role: "user", content: "x" }], think: think as never }, false);
    expect((chat as { reasoning_effort?: string }).reasoning_effort).toBe(effort as never);
  });
});

describe("fromOllamaGenerate", () => {
  test("system and prompt with images as a chat; raw, template and context ignored", () => {
    const { chat, ignored } = fromOllamaGenerate(
      { model: "m", prompt: "Describe", system: "Short.", images: [PNG], raw: true, template: "{{ .Prompt }}", context: [1, 2], format: "json", think: "high" },
      true,
    );
    expect(chat).toEqual({
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: "system", content: "Short." },
        { role: "user", content: [{ type: "text", text: "Describe" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
      ],
      response_format: { type: "json_object" },
      reasoning_effort: "high",
    } as never);
    expect(ignored).toEqual(["raw", "template", "context"]);
  });
});

test.each([
  [PNG, "image/png"],
  ["/9j/4AAQSkZJRg", "image/jpeg"],
  ["R0lGODlhAQAB", "image/gif"],
  ["UklGRiQAAABXRUJQ", "image/webp"],
  ["AAAA", "image/jpeg"],
])("toDataUrl sniffs %p as %p", (data, type) => {
  expect(toDataUrl(data)).toBe(`data:${type};base64,${data}`);
});

test("toDataUrl keeps a data: URL a client already made", () => {
  expect(toDataUrl("data:image/png;base64,AAAA")).toBe("data:image/png;base64,AAAA");
});
