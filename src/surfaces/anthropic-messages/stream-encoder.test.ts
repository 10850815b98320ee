import { describe, expect, test } from "bun:test";
import type { ChunkResult } from "../../plugin.ts";
import { mapError } from "../../error-response.ts";
import { UpstreamUnavailableError } from "../../errors.ts";
import { messagesStreamEncoder } from "./stream-encoder.ts";
import { parseToolInput } from "./from-chat-result.ts";
import { decodeSignature } from "./thinking-signature.ts";
import { fromToolUseId } from "./tool-use-id.ts";

type Event = { event: string; data: Record<string, any> };

/** Splits the encoder's text into events, checking Anthropic's `event:` + `data:` framing. */
export function parseEvents(text: string): Event[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text.slice(0, -2).split("\n\n").map((frame) => {
    const [eventLine, dataLine, ...rest] = frame.split("\n");
    expect(rest).toEqual([]);
    expect(eventLine!.startsWith("event: ")).toBe(true);
    const data = JSON.parse(dataLine!.slice(6));
    expect(data.type).toBe(eventLine!.slice(7));
    return { event: eventLine!.slice(7), data };
  });
}

const run = (chunks: ChunkResult[], o: { estimate?: number; stopSequences?: string[]; streamsInput?: (name: string) => boolean } = {}) => {
  const encoder = messagesStreamEncoder({ id: "msg_1", model: "asked", stopSequences: o.stopSequences, estimatedInput: () => o.estimate ?? 42, streamsInput: o.streamsInput });
  const text = encoder.start() + chunks.map((c) => encoder.chunk(c)).join("") + encoder.end();
  return parseEvents(text);
};
const c = (delta: ChunkResult["choices"][number]["delta"], finish_reason?: "stop" | "tool_calls" | "length"): ChunkResult => ({
  choices: [{ index: 0, delta, ...(finish_reason ? { finish_reason } : {}) }],
});

/** Checks the block rules on any event sequence: one open block at a time, indexes 0,1,2… */
function assertBlockDiscipline(events: Event[]) {
  let open: number | undefined;
  let next = 0;
  for (const { event, data } of events) {
    if (event === "content_block_start") {
      expect(open).toBeUndefined();
      expect(data.index).toBe(next++);
      open = data.index;
    } else if (event === "content_block_delta") {
      expect(data.index).toBe(open);
    } else if (event === "content_block_stop") {
      expect(data.index).toBe(open);
      open = undefined;
    }
  }
  expect(open).toBeUndefined();
}

describe("stream encoder", () => {
  test("text: the whole event sequence", () => {
    const events = run([c({ role: "assistant", content: "" }), c({ content: "Hel" }), c({ content: "lo" }, "stop"), { choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }]);
    expect(events.map((e) => e.event)).toEqual([
      "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
    ]);
    expect(events[0]!.data.message).toMatchObject({ id: "msg_1", type: "message", role: "assistant", model: "asked", content: [], stop_reason: null, stop_details: null, container: null, diagnostics: null });
    expect(events[0]!.data.message.usage).toMatchObject({ cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, service_tier: "standard", server_tool_use: null });
    expect(events[2]!.data.content_block).toEqual({ type: "text", text: "", citations: null });
    expect(events[3]!.data.delta).toEqual({ type: "text_delta", text: "Hel" });
    expect(events[6]!.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null, stop_details: null, container: null },
      usage: { input_tokens: 7, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens_details: null, server_tool_use: null },
    });
  });

  test("the final usage carries the provider's cache reads and thinking tokens (a client adds them onto message_start's zeros)", () => {
    const usage = { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, prompt_tokens_details: { cached_tokens: 40 }, completion_tokens_details: { reasoning_tokens: 30 } };
    const events = run([c({ content: "Hi" }, "stop"), { choices: [], usage }]);
    expect(events.at(-2)!.data.usage).toEqual({ input_tokens: 60, output_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 40, output_tokens_details: { thinking_tokens: 30 }, server_tool_use: null });
  });

  test("regression (peers: zeroed message_start usage): input_tokens is the gateway's count when the provider gives none up front", () => {
    const events = run([c({ content: "x" }, "stop")], { estimate: 1234 });
    expect(events[0]!.data.message.usage.input_tokens).toBe(1234);
  });

  test("a refusal the provider streams (OpenAI's refusal deltas) is a text block, and stop_reason refusal", () => {
    const events = run([c({ role: "assistant", content: null, refusal: "" } as never), c({ refusal: "I can't " }), c({ refusal: "help." }), c({}, "stop")]);
    assertBlockDiscipline(events);
    expect(events.map((e) => e.event)).toEqual(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(events[2]!.data.content_block).toEqual({ type: "text", text: "", citations: null });
    expect(events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta)).toEqual([{ type: "text_delta", text: "I can't " }, { type: "text_delta", text: "help." }]);
    expect(events.find((e) => e.event === "message_delta")!.data.delta).toEqual({ stop_reason: "refusal", stop_sequence: null, stop_details: { type: "refusal", category: null, explanation: null }, container: null });
    const cut = run([c({ refusal: "I can't" }), c({}, "length")]);
    expect(cut.find((e) => e.event === "message_delta")!.data.delta.stop_reason).toBe("max_tokens");
  });

  test("the provider's prompt count on the first chunk wins over the estimate", () => {
    const events = run([{ ...c({ content: "x" }), usage: { prompt_tokens: 99, completion_tokens: 0, total_tokens: 99 } }], { estimate: 5 });
    expect(events[0]!.data.message.usage.input_tokens).toBe(99);
  });

  test("regression (Portkey #1275: tool_use blocks mis-indexed): two tool calls in one answer get indexes 0 and 1, ids that round-trip", () => {
    const chunks = [
      c({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "" } }] }),
      c({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
      c({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
      c({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } }] }),
      c({}, "tool_calls"),
    ];
    // Held and checked whole (Anthropic's default), or as they came (fine-grained tool streaming).
    const cases: [((name: string) => boolean) | undefined, (string | number)[][]][] = [
      [undefined, [[0, '{"x":1}'], [1, "{}"]]],
      [() => true, [[0, '{"x":'], [0, "1}"], [1, "{}"]]],
    ];
    for (const [streamsInput, deltas] of cases) {
      const events = run(chunks, { streamsInput });
      assertBlockDiscipline(events);
      const starts = events.filter((e) => e.event === "content_block_start");
      expect(starts.map((e) => [e.data.index, e.data.content_block.name, fromToolUseId(e.data.content_block.id)])).toEqual([[0, "f", "call_a"], [1, "g", "call_b"]]);
      expect(starts[0]!.data.content_block.input).toEqual({});
      const json = events.filter((e) => e.data.delta?.type === "input_json_delta");
      expect(json.map((e) => [e.data.index, e.data.delta.partial_json])).toEqual(deltas);
      expect(events.at(-2)!.data.delta.stop_reason).toBe("tool_use");
    }
  });

  test("a tool's input that is not a JSON object (a local model's broken JSON, an array, two objects run together) is sent as the object the non-streamed answer has, never as it came; an eager tool's goes as it came", () => {
    const call = (name: string, args: string) => [
      c({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name, arguments: args.slice(0, 5) } }] }),
      c({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }),
      c({}, "tool_calls"),
    ];
    const sent = (events: ReturnType<typeof run>) => events.filter((e) => e.data.delta?.type === "input_json_delta").map((e) => e.data.delta.partial_json).join("");
    const cases: [string, Record<string, unknown>][] = [
      ['{"city": Paris}', { arguments: '{"city": Paris}' }],
      ['{"a":1}{"b":2}', { arguments: '{"a":1}{"b":2}' }],
      ["[1, 2, 3]", { value: [1, 2, 3] }],
      ['"just text"', { value: "just text" }],
      ['{ "ok" : true }', { ok: true }],
    ];
    for (const [args, input] of cases) {
      const events = run(call("f", args));
      assertBlockDiscipline(events);
      expect(JSON.parse(sent(events))).toEqual(input);
      expect(input).toEqual(parseToolInput(args)); // the non-streamed answer's input for the same text
    }
    expect(run(call("f", "")).filter((e) => e.data.delta?.type === "input_json_delta")).toEqual([]);
    expect(sent(run(call("f", '{"city": Paris}'), { streamsInput: (name) => name === "f" }))).toBe('{"city": Paris}');
  });

  test("parallel calls whose headers come first, then each one's arguments: every call keeps its own, one block at a time", () => {
    // A stream probe's upstream: both headers in one chunk, then call 0's arguments, then call 1's.
    const headers = c({ tool_calls: [
      { index: 0, id: "call_a", type: "function", function: { name: "lookup", arguments: "" } },
      { index: 1, id: "call_b", type: "function", function: { name: "lookup", arguments: "" } },
    ] });
    const args = (index: number, text: string) => c({ tool_calls: [{ index, function: { arguments: text } }] });
    for (const chunks of [
      [headers, args(0, '{"q":1}'), args(1, '{"q":2}'), c({}, "tool_calls")],
      // Interleaved, with text and thinking after the calls began: each in its place once the stream ends.
      [headers, args(1, '{"q":'), args(0, '{"q":'), c({ content: "done" }), args(0, "1}"), c({ reasoning_content: "hm" }), args(1, "2}"), c({}, "tool_calls")],
    ]) {
      const events = run(chunks);
      assertBlockDiscipline(events);
      const blocks = new Map<number, { type: string; id?: string; json: string; text: string }>();
      for (const { event, data } of events) {
        if (event === "content_block_start") blocks.set(data.index, { type: data.content_block.type, id: data.content_block.id, json: "", text: "" });
        if (event === "content_block_delta" && data.delta.type === "input_json_delta") blocks.get(data.index)!.json += data.delta.partial_json;
        if (event === "content_block_delta" && data.delta.type === "text_delta") blocks.get(data.index)!.text += data.delta.text;
      }
      const calls = [...blocks.values()].filter((b) => b.type === "tool_use").map((b) => [fromToolUseId(b.id!), JSON.parse(b.json)]);
      expect(calls).toEqual([["call_a", { q: 1 }], ["call_b", { q: 2 }]]);
      if (chunks.length > 4) expect([...blocks.values()].map((b) => b.type)).toEqual(["tool_use", "tool_use", "text", "thinking"]);
      if (chunks.length > 4) expect([...blocks.values()][2]!.text).toBe("done");
      expect(events.find((e) => e.event === "message_delta")!.data.delta.stop_reason).toBe("tool_use");
    }
  });

  test("a tool call whose name comes after its id (some OpenAI-compatible servers): its block starts named, the arguments held meanwhile; a name that never comes is still the call", () => {
    const tc = (fn: { name?: string; arguments?: string }, id?: string) => c({ tool_calls: [{ index: 0, ...(id ? { id, type: "function" as const } : {}), function: fn }] });
    const events = run([tc({ arguments: "" }, "call_1"), tc({ name: "get_weather", arguments: '{"city":' }), tc({ arguments: '"Paris"}' }), c({}, "tool_calls")]);
    assertBlockDiscipline(events);
    const start = events.find((e) => e.event === "content_block_start")!;
    expect(start.data.content_block).toMatchObject({ type: "tool_use", name: "get_weather" });
    expect(fromToolUseId(start.data.content_block.id)).toBe("call_1");
    expect(events.filter((e) => e.event === "content_block_delta").map((e) => e.data.delta.partial_json).join("")).toBe('{"city":"Paris"}');

    const nameless = run([tc({ arguments: "{}" }, "call_2"), c({}, "tool_calls")]);
    assertBlockDiscipline(nameless);
    expect(nameless.find((e) => e.event === "content_block_start")!.data.content_block).toMatchObject({ type: "tool_use", name: "" });
    expect(nameless.find((e) => e.event === "message_delta")!.data.delta.stop_reason).toBe("tool_use");
  });

  test("regression (LiteLLM: thinking_delta inside a text block): thinking, then text, then tool_use in one stream", () => {
    const events = run([
      c({ reasoning_content: "Let me " }),
      c({ reasoning_content: "think." }),
      c({ content: "I'll check." }),
      c({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "look", arguments: "{}" } }] }, "tool_calls"),
    ]);
    assertBlockDiscipline(events);
    expect(events.map((e) => e.event + (e.data.delta?.type ? `:${e.data.delta.type}` : ""))).toEqual([
      "message_start", "ping",
      "content_block_start", "content_block_delta:thinking_delta", "content_block_delta:thinking_delta", "content_block_delta:signature_delta", "content_block_stop",
      "content_block_start", "content_block_delta:text_delta", "content_block_stop",
      "content_block_start", "content_block_delta:input_json_delta", "content_block_stop",
      "message_delta", "message_stop",
    ]);
    expect(events[2]!.data.content_block.type).toBe("thinking");
    expect(decodeSignature(events[5]!.data.delta.signature)).toEqual({});
    expect(events[7]!.data.content_block.type).toBe("text");
    expect(events[10]!.data.content_block.type).toBe("tool_use");
  });

  test("text, then thinking again: a new thinking block, never a thinking_delta in the text block", () => {
    const events = run([c({ content: "a" }), c({ reasoning_content: "b" }), c({ content: "c" }, "stop")]);
    assertBlockDiscipline(events);
    expect(events.filter((e) => e.event === "content_block_start").map((e) => e.data.content_block.type)).toEqual(["text", "thinking", "text"]);
  });

  test("a matched stop sequence the provider names is stop_sequence", () => {
    const events = run([{ choices: [{ index: 0, delta: { content: "x" }, finish_reason: "stop", stop_reason: "</x>" } as never] }], { stopSequences: ["</x>"] });
    expect(events.at(-2)!.data.delta).toEqual({ stop_reason: "stop_sequence", stop_sequence: "</x>", stop_details: null, container: null });
  });

  test("an empty stream still starts and stops, with no block", () => {
    expect(run([]).map((e) => e.event)).toEqual(["message_start", "ping", "message_delta", "message_stop"]);
  });

  test("a failure after the start is Anthropic's error event", () => {
    const encoder = messagesStreamEncoder({ id: "msg_1", model: "m", estimatedInput: () => 1 });
    const text = encoder.start() + encoder.chunk(c({ content: "x" })) + encoder.error(mapError(new UpstreamUnavailableError("Gemini is unreachable."), (t) => t));
    const events = parseEvents(text);
    expect(events.at(-1)).toEqual({ event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Gemini is unreachable." }, request_id: null } });
  });

  test("the chunks are not changed", () => {
    const chunk = c({ content: "x", tool_calls: [{ index: 0, id: "call_1", function: { name: "n", arguments: "{}" } }] }, "tool_calls");
    const copy = structuredClone(chunk);
    run([chunk]);
    expect(chunk).toEqual(copy);
  });
});

describe("thinking.display omitted", () => {
  test("no thinking_delta; the text rides in the signature; a ping every 5 s of thinking keeps the stream alive", () => {
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const encoder = messagesStreamEncoder({ id: "msg_1", model: "asked", estimatedInput: () => 42, omitThinking: true });
      let text = encoder.start();
      for (let i = 0; i < 5; i++) {
        text += encoder.chunk(c({ reasoning_content: `step ${i}. ` } as ChunkResult["choices"][number]["delta"]));
        now += 3_000;
      }
      text += encoder.chunk(c({ content: "4" }, "stop")) + encoder.end();
      const events = parseEvents(text);
      assertBlockDiscipline(events);
      expect(events.some((e) => e.data.delta?.type === "thinking_delta")).toBe(false);
      // Pings: the one after message_start, then at 6 s and 12 s of thinking (chunks at 0, 3, 6, 9, 12 s).
      expect(events.filter((e) => e.event === "ping")).toHaveLength(3);
      const start = events.find((e) => e.event === "content_block_start")!;
      expect(start.data.content_block).toEqual({ type: "thinking", thinking: "", signature: "" });
      const signature = events.find((e) => e.data.delta?.type === "signature_delta")!.data.delta.signature;
      expect(decodeSignature(signature)).toEqual({ thinking: "step 0. step 1. step 2. step 3. step 4. " });
    } finally {
      Date.now = realNow;
    }
  });
});
