import { describe, expect, test } from "bun:test";
import type { MappedError } from "../../error-response.ts";
import type { ChunkResult } from "../../plugin.ts";
import { expectOpenAI } from "../../testing/openai-schema.ts";
import { responseFrame } from "./response-frame.ts";
import type { ResponseObject } from "./response-schema.ts";
import { responsesStreamEncoder } from "./stream-encoder.ts";
import { checkedEvents } from "../../testing/responses-events.ts";

const frame = () => responseFrame({ model: "m", input: "x" }, "resp_test", 1700000000);

/** Runs chunks through an encoder; returns the parsed events (checking framing, order and schema). */
function run(chunks: ChunkResult[], opts: { fail?: MappedError } = {}) {
  let finished: ResponseObject | undefined;
  const encoder = responsesStreamEncoder({ frame: frame(), onFinish: (r) => (finished = r) });
  let text = encoder.start();
  for (const chunk of chunks) text += encoder.chunk(chunk);
  text += opts.fail ? encoder.error(opts.fail) : encoder.end({ input: 5, output: 7, reasoning: 2 });
  const events = checkedEvents(text);
  return { events, types: events.map((e) => e.type as string), finished };
}



const text = (content: string): ChunkResult => ({ choices: [{ index: 0, delta: { content } }] });
const finish = (reason: "stop" | "length" | "tool_calls"): ChunkResult => ({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });

const refusal = (refusal: string): ChunkResult => ({ choices: [{ index: 0, delta: { refusal } }] });

describe("responsesStreamEncoder", () => {
  const call = (index: number, fn: { name?: string; arguments?: string }, id?: string): ChunkResult => ({
    choices: [{ index: 0, delta: { tool_calls: [{ index, ...(id ? { id, type: "function" as const } : {}), function: fn }] } }],
  });

  test("a call's arguments that come after text or thinking are still the call's (the plugin's \"{}\" with the finish too)", () => {
    // A probe's upstream: a call with no argument text, then text; the openai-compatible plugin adds "{}" to the finishing chunk.
    const empty = run([call(0, { name: "lookup", arguments: "" }, "call_a"), text("hi"), { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, finish_reason: "tool_calls" }] }]);
    expect(empty.finished!.output).toEqual([
      expect.objectContaining({ type: "function_call", call_id: "call_a", name: "lookup", arguments: "{}" }),
      expect.objectContaining({ type: "message", content: [expect.objectContaining({ text: "hi" })] }),
    ]);
    const done = empty.events.filter((e) => e.type === "response.function_call_arguments.done");
    expect(done.map((e) => [e.name, e.arguments])).toEqual([["lookup", "{}"]]);
    // Arguments cut by text, and by thinking: joined in the one call.
    for (const between of [text("t"), { choices: [{ index: 0, delta: { reasoning_content: "hmm" } }] } as ChunkResult]) {
      const split = run([call(0, { name: "lookup", arguments: '{"q"' }, "call_b"), between, call(0, { arguments: ":1}" }), finish("tool_calls")]);
      const calls = split.finished!.output.filter((item) => item.type === "function_call");
      expect(calls).toEqual([expect.objectContaining({ call_id: "call_b", name: "lookup", arguments: '{"q":1}', status: "completed" })]);
      expect(split.finished!.output.map((item) => item.type)).toEqual(["function_call", between.choices[0]!.delta.content ? "message" : "reasoning"]);
    }
  });

  test("a failure keeps the calls whose arguments are whole, done before response.failed; a half-written one is not kept", () => {
    const fail: MappedError = { status: 502, body: { error: { message: "The upstream broke off.", type: "server_error", param: null, code: "upstream_error" } }, headers: {}, internal: false };
    const { events, finished } = run([call(0, { name: "lookup", arguments: '{"q":1}' }, "call_a"), text("hi"), call(1, { name: "lookup", arguments: '{"q":' }, "call_b")], { fail });
    expect(finished!.output).toEqual([
      expect.objectContaining({ type: "function_call", call_id: "call_a", arguments: '{"q":1}', status: "completed" }),
      // Done when the second call began.
      expect.objectContaining({ type: "message", status: "completed", content: [expect.objectContaining({ text: "hi" })] }),
    ]);
    const done = events.filter((e) => e.type === "response.output_item.done").map((e) => e.item.type);
    expect(done).toEqual(["message", "function_call"]);
    expect(events.at(-1)!.type).toBe("response.failed");
  });

  test("thinking alone ends with an empty message after it, as the complete form has", () => {
    const { finished } = run([{ choices: [{ index: 0, delta: { reasoning_content: "think" } }] }, finish("stop")]);
    expect(finished!.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(finished!.output[1]).toMatchObject({ content: [{ type: "output_text", text: "" }] });
  });

  test("a function call the output limit cut is an incomplete item in an incomplete response", () => {
    const { types, finished } = run([
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "f", arguments: '{"a":' } }] } }] },
      finish("length"),
    ]);
    expect(types.at(-1)).toBe("response.incomplete");
    expect(finished!.output).toEqual([expect.objectContaining({ type: "function_call", status: "incomplete", arguments: '{"a":' })]);
  });

  test("a refusal: its own content part, refusal deltas and done, and the final message holds it (as the complete form does)", () => {
    const { events, types, finished } = run([refusal("I can't "), refusal("help with that."), finish("stop")]);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.refusal.delta",
      "response.refusal.delta",
      "response.refusal.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[3]).toMatchObject({ content_index: 0, part: { type: "refusal", refusal: "" } });
    expect(events[4]).toMatchObject({ content_index: 0, delta: "I can't " });
    expect(events[6]).toMatchObject({ content_index: 0, refusal: "I can't help with that." });
    const content = [{ type: "refusal", refusal: "I can't help with that." }];
    expect(events[8].item.content).toEqual(content);
    expect(finished!.output).toEqual([expect.objectContaining({ type: "message", status: "completed", content })]);
  });

  test("text then a refusal: two parts of one message, each with its content_index, done in order", () => {
    const { events, types, finished } = run([text("Well, "), refusal("no."), text(" Sorry."), finish("stop")]);
    expect(types.slice(2)).toEqual([
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.content_part.added",
      "response.refusal.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.refusal.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.filter((e) => e.type.endsWith(".delta")).map((e) => [e.content_index, e.delta])).toEqual([[0, "Well, "], [1, "no."], [0, " Sorry."]]);
    expect(finished!.output[0]).toMatchObject({ content: [{ type: "output_text", text: "Well,  Sorry." }, { type: "refusal", refusal: "no." }] });
  });

  test("text: created, in_progress, item and part added, deltas, done events, completed with usage", () => {
    const { events, types, finished } = run([text("Hel"), text("lo"), finish("stop"), { choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, prompt_tokens_details: { cached_tokens: 3 } } }]);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[0].response.status).toBe("in_progress");
    expect("usage" in events[0].response).toBe(false);
    expect(events[6].text).toBe("Hello");
    const done = events.at(-1).response;
    expect(done.status).toBe("completed");
    expect(done.output[0].content[0].text).toBe("Hello");
    expect(done.usage).toEqual({
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 3, cache_write_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 12,
    });
    expectOpenAI("Response", done);
    expect(finished).toEqual(done);
  });

  test("reasoning then text: a reasoning item with its summary events before the message", () => {
    const { types, events } = run([
      { choices: [{ index: 0, delta: { content: "", reasoning_content: "Let me " } }] },
      { choices: [{ index: 0, delta: { reasoning_content: "think." } }] },
      text("Answer."),
      finish("stop"),
    ]);
    expect(types.slice(2, 9)).toEqual([
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
    ]);
    const done = events.at(-1).response;
    expect(done.output.map((i: { type: string }) => i.type)).toEqual(["reasoning", "message"]);
    expect(done.output[0].summary).toEqual([{ type: "summary_text", text: "Let me think." }]);
    expect(events.filter((e) => e.type === "response.output_text.delta").map((e) => e.output_index)).toEqual([1]);
  });

  test("several tool calls are several function_call items, each with its own output_index", () => {
    const { events, types } = run([
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "time", arguments: "{}" } }] } }] },
      finish("tool_calls"),
    ]);
    const added = events.filter((e) => e.type === "response.output_item.added");
    expect(added.map((e) => [e.output_index, e.item.type, e.item.call_id, e.item.name])).toEqual([
      [0, "function_call", "call_a", "weather"],
      [1, "function_call", "call_b", "time"],
    ]);
    const argsDone = events.filter((e) => e.type === "response.function_call_arguments.done");
    expect(argsDone.map((e) => [e.output_index, e.name, e.arguments])).toEqual([
      [0, "weather", '{"city":"Paris"}'],
      [1, "time", "{}"],
    ]);
    expect(types.filter((t) => t === "response.function_call_arguments.delta")).toHaveLength(3);
    const done = events.at(-1).response;
    expect(done.status).toBe("completed");
    expect(done.output.map((i: { type: string; arguments: string }) => i.arguments)).toEqual(['{"city":"Paris"}', "{}"]);
  });

  test("a call whose name comes after its id (some OpenAI-compatible servers): its item opens named, with the arguments held meanwhile; a name that never comes is still the call", () => {
    const call = (fn: { name?: string; arguments?: string }, id?: string): ChunkResult => ({
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...(id ? { id, type: "function" as const } : {}), function: fn }] } }],
    });
    const { events, finished } = run([call({ arguments: "" }, "call_1"), call({ name: "get_weather" }), call({ arguments: '{"city":' }), call({ arguments: '"Paris"}' }), finish("tool_calls")]);
    const added = events.find((event) => event.type === "response.output_item.added")!;
    expect(added.item).toMatchObject({ type: "function_call", call_id: "call_1", name: "get_weather", arguments: "" });
    expect(events.filter((event) => event.type === "response.function_call_arguments.delta").map((event) => event.delta).join("")).toBe('{"city":"Paris"}');
    expect(finished!.output).toEqual([expect.objectContaining({ type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' })]);

    const nameless = run([call({ arguments: "{}" }, "call_2"), finish("tool_calls")]);
    expect(nameless.finished!.output).toEqual([expect.objectContaining({ type: "function_call", call_id: "call_2", name: "", arguments: "{}" })]);
  });

  test("a length cut ends with response.incomplete and incomplete_details", () => {
    const { events } = run([text("Cut"), finish("length")]);
    const last = events.at(-1);
    expect(last.type).toBe("response.incomplete");
    expect(last.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(last.response.output[0].status).toBe("incomplete");
  });

  test("a stream with no output still answers one empty message", () => {
    const { events } = run([finish("stop")]);
    expect(events.at(-1).response.output).toEqual([
      expect.objectContaining({ type: "message", content: [{ type: "output_text", text: "", annotations: [], logprobs: [] }] }),
    ]);
  });

  test("a failure after the start is response.failed with the error and the items finished so far", () => {
    const mapped: MappedError = {
      status: 504,
      body: { error: { message: "The upstream stream was idle for 10 ms.", type: "api_error", param: null, code: "upstream_timeout" } },
      headers: {},
      internal: false,
    };
    const { events, finished } = run([text("partial")], { fail: mapped });
    const last = events.at(-1);
    expect(last.type).toBe("response.failed");
    expect(last.response.status).toBe("failed");
    expect(last.response.error).toEqual({ code: "server_error", message: "The upstream stream was idle for 10 ms." });
    expect(finished?.status).toBe("failed");
  });

  test("a failure midway keeps what the client was sent: the open reasoning and message are done (the message incomplete) and in the failed response; a half-written call is not", () => {
    const mapped: MappedError = {
      status: 502,
      body: { error: { message: "The upstream closed the stream before the answer was finished.", type: "api_error", param: null, code: "upstream_error" } },
      headers: {},
      internal: false,
    };
    const thinking: ChunkResult = { choices: [{ index: 0, delta: { reasoning_content: "Hmm." } as never }] };
    const { events, types, finished } = run([thinking, text("Partial "), text("answer")], { fail: mapped });
    expect(types.slice(-6)).toEqual([
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.failed",
    ]);
    const message = { type: "message", status: "incomplete", content: [{ type: "output_text", text: "Partial answer", annotations: [], logprobs: [] }] };
    expect(events.at(-2).item).toMatchObject(message);
    expect(events.at(-1).response.output).toEqual([
      expect.objectContaining({ type: "reasoning", summary: [{ type: "summary_text", text: "Hmm." }] }),
      expect.objectContaining(message),
    ]);
    expect(finished!.output).toEqual(events.at(-1).response.output);

    const call: ChunkResult = { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "f", arguments: '{"a":' } }] } }] };
    const cut = run([text("Let me look."), call], { fail: mapped });
    expect(cut.finished!.output).toEqual([expect.objectContaining({ type: "message", status: "completed" })]);
    expect(cut.types.at(-2)).toBe("response.function_call_arguments.delta");
  });

  test("the provider's chunks are never changed", () => {
    const chunk = { choices: [{ index: 0, delta: { content: "x" } }] };
    const copy = structuredClone(chunk);
    run([chunk]);
    expect(chunk).toEqual(copy);
  });

  test("log probabilities asked for: tokens on a chunk with no text wait for the next text (or join the text that came), a thinking chunk's and a tool call's are not the text's", () => {
    const lp = (token: string) => ({ token, logprob: -1, bytes: null, top_logprobs: [] });
    const with_ = (delta: Record<string, unknown>, tokens: string[]): ChunkResult => ({ choices: [{ index: 0, delta, logprobs: { content: tokens.map(lp), refusal: null } }] });
    const encoder = responsesStreamEncoder({ frame: responseFrame({ model: "m", input: "x", include: ["message.output_text.logprobs"] }, "resp_test", 1700000000), logprobs: true });
    let sse = encoder.start();
    for (const chunk of [
      with_({ reasoning_content: "Hmm" }, ["Hmm"]),
      with_({}, ["Hel"]), // a parser holding text back
      with_({ content: "Hello" }, ["lo"]),
      with_({}, ["!"]), // the provider's last tokens, on a chunk of their own
      with_({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] }, ["{}"]),
      with_({}, ["x"]), // held for a text that never comes
      finish("tool_calls"),
    ]) sse += encoder.chunk(chunk);
    sse += encoder.end({ input: 1, output: 6, reasoning: 1 });
    const events = sse.slice(0, -2).split("\n\n").map((block) => JSON.parse(block.split("\n")[1]!.slice(6)));
    for (const event of events) expectOpenAI("ResponseStreamEvent", event);
    const tokens = (list: { token: string }[]) => list.map((t) => t.token);
    expect(events.filter((e) => e.type === "response.output_text.delta").map((e) => [e.delta, tokens(e.logprobs)])).toEqual([["Hello", ["Hel", "lo"]]]);
    expect(tokens(events.find((e) => e.type === "response.output_text.done").logprobs)).toEqual(["Hel", "lo", "!"]);
    const final = events.at(-1).response as ResponseObject;
    expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(tokens((final.output[1] as { content: { logprobs: { token: string }[] }[] }).content[0]!.logprobs)).toEqual(["Hel", "lo", "!"]);
  });

  test("log probabilities not asked for: none are answered, whatever the provider sends", () => {
    const chunk: ChunkResult = { choices: [{ index: 0, delta: { content: "Hi" }, logprobs: { content: [{ token: "Hi", logprob: -1, bytes: [72, 105], top_logprobs: [] }], refusal: null } }] };
    const { events, finished } = run([chunk, finish("stop")]);
    expect(events.find((e) => e.type === "response.output_text.delta").logprobs).toEqual([]);
    expect((finished!.output[0] as { content: { logprobs: unknown[] }[] }).content[0]!.logprobs).toEqual([]);
  });
});
