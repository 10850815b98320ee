import { describe, expect, test } from "bun:test";
import type { ChatResult } from "../../plugin.ts";
import { durations, toChatAnswer, toDoneReason, toGenerateAnswer, toOllamaToolCall } from "./from-chat-result.ts";
import { capabilitiesOf, digestOf, toShowAnswer, toTagsEntry } from "./models.ts";

test.each([
  ["stop", "stop"],
  ["tool_calls", "stop"],
  ["length", "length"],
  ["content_filter", "content_filter"],
  [null, "stop"],
  [undefined, "stop"],
])("finish_reason %p → done_reason %p", (finish, done) => {
  expect(toDoneReason(finish as never)).toBe(done);
});

test("durations are whole nanoseconds; a complete answer counts all of it as generation", () => {
  expect(durations(1000, 1250.5, 2000)).toEqual({ total_duration: 1e9, load_duration: 0, prompt_eval_duration: 250.5e6, eval_duration: 749.5e6 });
  expect(durations(1000, undefined, 1003)).toEqual({ total_duration: 3e6, load_duration: 0, prompt_eval_duration: 0, eval_duration: 3e6 });
});

describe("complete answers", () => {
  const result: ChatResult = {
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "", reasoning_content: "Need weather.", tool_calls: [{ id: "c1", type: "function", function: { name: "w", arguments: '{"city":"Paris"}' } }] } as never,
        finish_reason: "tool_calls",
      },
    ],
  };
  const usage = { input: 20, output: 7, reasoning: 0 };
  const timing = { startedAt: 0, endedAt: 2, createdAt: "2026-01-01T00:00:00.000Z" };

  test("/api/chat: message with thinking and tool calls (arguments an object), counts, durations", () => {
    expect(toChatAnswer(result, "asked:id", usage, timing)).toEqual({
      model: "asked:id",
      created_at: timing.createdAt,
      message: { role: "assistant", content: "", thinking: "Need weather.", tool_calls: [{ id: "c1", function: { index: 0, name: "w", arguments: { city: "Paris" } } }] },
      done_reason: "stop",
      done: true,
      total_duration: 2e6,
      load_duration: 0,
      prompt_eval_count: 20,
      prompt_eval_duration: 0,
      eval_count: 7,
      eval_duration: 2e6,
    });
  });

  test("/api/generate: the text as response", () => {
    const answer = toGenerateAnswer({ choices: [{ index: 0, message: { content: "Blue." }, finish_reason: "length" }] }, "m", usage, timing);
    expect(answer).toMatchObject({ model: "m", response: "Blue.", done: true, done_reason: "length", eval_count: 7 });
    expect(answer).not.toHaveProperty("thinking");
  });

  test("a provider's refusal (OpenAI's refusal text) is the answer's text: Ollama's messages have no refusal", () => {
    const refused = { choices: [{ index: 0, message: { content: null, refusal: "I can't help with that." }, finish_reason: "stop" as const }] };
    expect(toChatAnswer(refused, "m", usage, timing).message).toEqual({ role: "assistant", content: "I can't help with that." });
    expect(toGenerateAnswer(refused, "m", usage, timing)).toMatchObject({ response: "I can't help with that.", done_reason: "stop" });
  });

  test("a generate answer reads no calls (it shows none, as its stream skips them): garbled ones fail nothing", () => {
    const called: ChatResult = { choices: [{ index: 0, message: { content: "ok", tool_calls: [{ id: "c", type: "function", function: { name: "w", arguments: '{"q": nope' } }] }, finish_reason: "tool_calls" }] };
    expect(toGenerateAnswer(called, "m", usage, timing)).toMatchObject({ response: "ok", done: true });
    expect(() => toChatAnswer(called, "m", usage, timing)).toThrow(expect.objectContaining({ status: 502 }));
  });

  test.each(["not json", "[1,2]", "null", '"text"'])("arguments %p are a 502", (args) => {
    expect(() => toOllamaToolCall("w", args, undefined, 0)).toThrow(expect.objectContaining({ status: 502 }));
  });
});

describe("models", () => {
  const model = { id: "ollama/llama3.2:latest", object: "model" as const, created: 1746405464, owned_by: "ollama", family: "llama", parameter_size: "3.2B", quantization_level: "Q4_K_M", format: "gguf", size: 2019393189, context_length: 8192, capabilities: ["completion", "vision"] };

  test("a tags entry under the gateway id, with a stable sha256 digest", () => {
    expect(toTagsEntry(model)).toEqual({
      name: "ollama/llama3.2:latest",
      model: "ollama/llama3.2:latest",
      modified_at: "2025-05-05T00:37:44.000Z",
      size: 2019393189,
      digest: new Bun.CryptoHasher("sha256").update("ollama/llama3.2:latest").digest("hex"),
      details: { parent_model: "", format: "gguf", family: "llama", families: ["llama"], parameter_size: "3.2B", quantization_level: "Q4_K_M" },
    });
    expect(digestOf("a")).toBe(digestOf("a"));
    expect(digestOf("a")).not.toBe(digestOf("b"));
  });

  test("unknown size is 0 and unknown details are empty", () => {
    expect(toTagsEntry({ id: "x", object: "model", created: 0, owned_by: "p" })).toMatchObject({ size: 0, details: { family: "", families: null } });
  });

  test("show: capabilities as declared, context length under the architecture", () => {
    expect(toShowAnswer(model)).toMatchObject({
      capabilities: ["completion", "vision"],
      model_info: { "general.architecture": "llama", "llama.context_length": 8192 },
      details: { family: "llama" },
    });
  });

  test("a model that declares nothing is a chat model", () => {
    expect(capabilitiesOf({ id: "x", object: "model", created: 0, owned_by: "p" })).toEqual(["completion"]);
    expect(capabilitiesOf({ id: "x", object: "model", created: 0, owned_by: "p", capabilities: [] } as never)).toEqual(["completion"]);
  });
});
