import { describe, expect, test } from "bun:test";
import { expectOpenAI } from "../../testing/openai-schema.ts";
import { toResponse } from "./from-chat-result.ts";
import { responseFrame } from "./response-frame.ts";

const frame = responseFrame(
  { model: "m", input: "x", instructions: "I", tools: [{ type: "function", name: "f" }], metadata: { k: "v" }, temperature: 0.5, store: false },
  "resp_1",
  1700000000,
);
const tokens = { input: 10, output: 6, reasoning: 2 };

describe("toResponse", () => {
  test("reasoning, text and tool calls become reasoning, message and function_call items, in that order", () => {
    const response = toResponse(
      {
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              content: "Let me check.",
              reasoning_content: "Need the tool.",
              tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
            },
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16, prompt_tokens_details: { cached_tokens: 4 } },
      },
      frame,
      tokens,
      1700000001,
    );
    expectOpenAI("Response", response);
    expect(response.status).toBe("completed");
    expect(response.completed_at).toBe(1700000001);
    expect(response.output).toEqual([
      { id: expect.stringMatching(/^rs_/), type: "reasoning", summary: [{ type: "summary_text", text: "Need the tool." }] },
      { id: expect.stringMatching(/^msg_/), type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Let me check.", annotations: [], logprobs: [] }] },
      { id: expect.stringMatching(/^fc_/), type: "function_call", status: "completed", call_id: "call_1", name: "f", arguments: '{"a":1}' },
    ] as never);
    expect(response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 16,
    });
    expect(response).toMatchObject({ instructions: "I", metadata: { k: "v" }, temperature: 0.5, store: false, model: "m", object: "response" });
    expect(response.tools).toEqual([{ type: "function", name: "f", description: null, parameters: null, strict: null }]);
  });

  test.each([
    ["stop", "completed", null],
    ["tool_calls", "completed", null],
    ["length", "incomplete", { reason: "max_output_tokens" }],
    ["content_filter", "incomplete", { reason: "content_filter" }],
  ] as const)("finish_reason %s → status %s", (finish, status, details) => {
    const response = toResponse({ choices: [{ index: 0, finish_reason: finish, message: { content: "x" } }] }, frame, tokens, 1);
    expect(response.status).toBe(status);
    expect(response.incomplete_details).toEqual(details);
    expectOpenAI("Response", response);
  });

  test("tool calls alone give no message item; a refusal is a refusal part", () => {
    const calls = toResponse(
      { choices: [{ index: 0, finish_reason: "tool_calls", message: { content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] } }] },
      frame,
      tokens,
      1,
    );
    expect(calls.output.map((i) => i.type)).toEqual(["function_call"]);
    const refused = toResponse({ choices: [{ index: 0, finish_reason: "stop", message: { content: null, refusal: "No." } }] }, frame, tokens, 1);
    expect(refused.output[0]).toMatchObject({ type: "message", content: [{ type: "refusal", refusal: "No." }] });
    expectOpenAI("Response", refused);
  });

  test("several tool calls are several function_call items, in order, each with its own id; a call without an id gets one", () => {
    const response = toResponse(
      {
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              content: null,
              tool_calls: [
                { id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
                { id: "call_b", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
                { id: "", type: "function", function: { name: "time", arguments: "{}" } },
              ],
            },
          },
        ],
      },
      frame,
      tokens,
      1,
    );
    expectOpenAI("Response", response);
    expect(response.output.map((item) => item.type === "function_call" && [item.call_id.slice(0, 5), item.name, item.arguments])).toEqual([
      ["call_", "weather", '{"city":"Oslo"}'],
      ["call_", "weather", '{"city":"Rome"}'],
      ["call_", "time", "{}"],
    ]);
    const [a, b, c] = response.output as { id: string; call_id: string }[];
    expect([a!.call_id, b!.call_id]).toEqual(["call_a", "call_b"]);
    expect(c!.call_id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(new Set(response.output.map((item) => item.id)).size).toBe(3);
  });
});
