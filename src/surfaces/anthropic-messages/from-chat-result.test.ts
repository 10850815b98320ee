import { describe, expect, test } from "bun:test";
import { toAnthropicMessage } from "./from-chat-result.ts";
import { decodeSignature } from "./thinking-signature.ts";
import { fromToolUseId } from "./tool-use-id.ts";

const o = { model: "asked", estimatedInput: () => 77 };

describe("toAnthropicMessage", () => {
  test("text answer with usage", () => {
    const m = toAnthropicMessage({ choices: [{ index: 0, message: { content: "Hi" }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }, o);
    // Every field Anthropic's SDK types as required (1.14: container, stop_details, diagnostics, citations, the usage's).
    expect(m).toEqual({
      id: m.id, type: "message", role: "assistant", model: "asked", content: [{ type: "text", text: "Hi", citations: null }],
      stop_reason: "end_turn", stop_sequence: null, stop_details: null, container: null, diagnostics: null,
      usage: {
        input_tokens: 5, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens_details: null, server_tool_use: null,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, service_tier: "standard", inference_geo: null, speed: null,
      },
    });
    expect(m.id).toMatch(/^msg_[0-9a-f]{24}$/);
  });

  test("thinking, text and tool calls in Anthropic's order; the signature carries each call's provider extras", () => {
    const extra = { extra_content: { google: { thought_signature: "sigX" } } };
    const m = toAnthropicMessage({
      choices: [{
        index: 0,
        finish_reason: "tool_calls",
        message: { content: "Checking.", reasoning_content: "why", tool_calls: [{ id: "call_7", type: "function", function: { name: "f", arguments: '{"a":1}' }, ...extra }, { id: "call_8", type: "function", function: { name: "g", arguments: "" } }] } as never,
      }],
    }, o);
    expect(m.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use", "tool_use"]);
    const [thinking, , call7, call8] = m.content as any[];
    expect(thinking.thinking).toBe("why");
    expect(decodeSignature(thinking.signature)).toEqual({ calls: { call_7: extra } });
    expect([fromToolUseId(call7.id), call7.name, call7.input]).toEqual(["call_7", "f", { a: 1 }]);
    expect(call8.input).toEqual({});
    expect(call7.caller).toEqual({ type: "direct" });
    expect(m.stop_reason).toBe("tool_use");
  });

  test("a provider's refusal (OpenAI's refusal text) is a text block with stop_reason refusal", () => {
    const m = toAnthropicMessage({ choices: [{ index: 0, message: { content: null, refusal: "I can't help with that." }, finish_reason: "stop" }] }, o);
    expect(m.content).toEqual([{ type: "text", text: "I can't help with that.", citations: null }]);
    expect(m).toMatchObject({ stop_reason: "refusal", stop_sequence: null, stop_details: { type: "refusal", category: null, explanation: null } });
    const cut = toAnthropicMessage({ choices: [{ index: 0, message: { content: null, refusal: "I can't" }, finish_reason: "length" }] }, o);
    expect(cut.stop_reason).toBe("max_tokens");
  });

  test("without provider usage the input is the gateway's count; cached tokens are read from the cache", () => {
    expect(toAnthropicMessage({ choices: [{ index: 0, message: { content: "x" }, finish_reason: "length" }] }, o).usage.input_tokens).toBe(77);
    const m = toAnthropicMessage({ choices: [{ index: 0, message: { content: "x" }, finish_reason: "length" }], usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } } }, o);
    expect(m.usage).toMatchObject({ input_tokens: 6, cache_read_input_tokens: 4 });
    expect(m.stop_reason).toBe("max_tokens");
  });

  test("broken tool arguments are kept, not dropped", () => {
    const m = toAnthropicMessage({ choices: [{ index: 0, message: { content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{oops" } }] }, finish_reason: "tool_calls" }] }, o);
    expect((m.content[0] as any).input).toEqual({ arguments: "{oops" });
  });

  test("a call an upstream sent without a name or arguments still has both (the SDK's ToolUseBlock requires a name; a probe: the key was missing)", () => {
    const call = { id: "c", type: "function", function: {} } as never;
    const m = toAnthropicMessage({ choices: [{ index: 0, message: { content: null, tool_calls: [call] }, finish_reason: "tool_calls" }] }, o);
    expect(m.content[0]).toMatchObject({ type: "tool_use", name: "", input: {} });
  });
});
