// Event samples follow the published stream formats: OpenAI's chat.completion.chunk and Responses
// streaming events, Anthropic's Messages streaming events (as in their API references).
import { describe, expect, test } from "bun:test";
import { readStreamEvent, toPlaygroundRequest, type PlaygroundForm } from "./playground-surfaces.ts";

const form: PlaygroundForm = {
  model: "dummy-model:1.0",
  system: "Be brief.",
  temperature: 0.3,
  turns: [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello" },
    { role: "user", content: "Again" },
  ],
};

describe("toPlaygroundRequest", () => {
  test("chat: system first, streamed with usage, bearer key", () => {
    expect(toPlaygroundRequest("chat", form, "sk-1")).toEqual({
      path: "/v1/chat/completions",
      headers: { authorization: "Bearer sk-1" },
      body: {
        model: "dummy-model:1.0",
        messages: [{ role: "system", content: "Be brief." }, ...form.turns],
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0.3,
      },
    });
  });

  test("responses: the system prompt is `instructions`, nothing stored", () => {
    expect(toPlaygroundRequest("responses", { ...form, temperature: undefined }, "")).toEqual({
      path: "/v1/responses",
      headers: {},
      body: { model: "dummy-model:1.0", input: form.turns, instructions: "Be brief.", stream: true, store: false },
    });
  });

  test("messages: top-level system, max_tokens required, x-api-key", () => {
    expect(toPlaygroundRequest("messages", { ...form, system: "  " }, "k")).toEqual({
      path: "/v1/messages",
      headers: { "anthropic-version": "2023-06-01", "x-api-key": "k" },
      body: { model: "dummy-model:1.0", max_tokens: 1024, messages: form.turns, stream: true, temperature: 0.3 },
    });
  });
});

describe("readStreamEvent", () => {
  test.each([
    ["chat", undefined, '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}', { text: "Hel" }],
    ["chat", undefined, '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', {}],
    ["chat", undefined, '{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}', { usage: { input: 9, output: 12 } }],
    ["chat", undefined, "[DONE]", { done: true }],
    ["chat", undefined, '{"error":{"message":"upstream timed out","type":"server_error","code":"upstream_timeout","param":null}}', { error: "upstream timed out" }],
    ["responses", "response.output_text.delta", '{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","sequence_number":4}', { text: "Hi" }],
    ["responses", "response.completed", '{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}}', { done: true, usage: { input: 5, output: 7 } }],
    ["responses", "response.failed", '{"type":"response.failed","sequence_number":3,"response":{"status":"failed","error":{"code":"server_error","message":"boom"}}}', { error: "boom" }],
    ["responses", "response.created", '{"type":"response.created","sequence_number":0,"response":{"id":"resp_1"}}', {}],
    ["messages", "message_start", '{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"usage":{"input_tokens":25,"output_tokens":1}}}', { usage: { input: 25, output: null } }],
    ["messages", "content_block_delta", '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}', { text: "Hello" }],
    ["messages", "content_block_delta", '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}', {}],
    ["messages", "message_delta", '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}', { usage: { input: null, output: 15 } }],
    // The final usage's input_tokens (the provider's count) replaces message_start's estimate (a probe: 27 shown for 11).
    ["messages", "message_delta", '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":11,"output_tokens":15}}', { usage: { input: 11, output: 15 } }],
    // A refusal is shown as the answer's text on every surface (a probe: chat and Responses showed an empty answer).
    ["chat", undefined, '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"refusal":"I refuse."},"finish_reason":null}]}', { text: "I refuse." }],
    ["responses", "response.refusal.delta", '{"type":"response.refusal.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"I refuse."}', { text: "I refuse." }],
    ["messages", "message_stop", '{"type":"message_stop"}', { done: true }],
    ["messages", "error", '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', { error: "Overloaded" }],
  ] as const)("%s %s %s", (surface, event, data, step) => {
    expect(readStreamEvent(surface, event, data)).toEqual(step);
  });

  test("a line that is not JSON is reported, not thrown", () => {
    expect(readStreamEvent("chat", undefined, "garbage").error).toContain("unreadable event");
  });
});
