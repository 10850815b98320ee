import { describe, expect, test } from "bun:test";
import type { MappedError } from "../../error-response.ts";
import type { ChunkResult } from "../../plugin.ts";
import { ollamaStreamEncoder, type OllamaStreamSettings } from "./stream-encoder.ts";

const T = "2026-01-01T00:00:00.000Z";
const settings = (kind: OllamaStreamSettings["kind"]): OllamaStreamSettings => ({ kind, model: "gw/model:1", startedAt: performance.now(), inputTokens: () => 10, now: () => T });
const text = (content: string): ChunkResult => ({ choices: [{ index: 0, delta: { content } }] });

/** Runs chunks through an encoder; returns every line parsed, checking the framing (one object a line). */
function run(kind: OllamaStreamSettings["kind"], chunks: ChunkResult[]): Record<string, unknown>[] {
  const encoder = ollamaStreamEncoder(settings(kind));
  const body = encoder.start() + chunks.map((c) => encoder.chunk(c)).join("") + encoder.end();
  expect(body.endsWith("\n")).toBe(true);
  return body.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

describe("chat lines", () => {
  test("a refusal the provider streams (OpenAI's refusal deltas) is text: Ollama's messages have no refusal", () => {
    const refusal = (refusal: string): ChunkResult => ({ choices: [{ index: 0, delta: { refusal } }] });
    const lines = run("chat", [refusal("I can't "), refusal("help."), { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }]);
    expect(lines.slice(0, 2).map((line) => (line.message as { content: string }).content)).toEqual(["I can't ", "help."]);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop" });
    expect(run("generate", [refusal("No.")])[0]).toMatchObject({ response: "No.", done: false });
  });

  test("text and thinking as they come, then the final line with counts and durations", () => {
    const chunks: ChunkResult[] = [
      { choices: [{ index: 0, delta: { role: "assistant" } }] },
      { choices: [{ index: 0, delta: { reasoning_content: "Hmm." } as never }] },
      text("Hello"),
      text(" there"),
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } },
    ];
    const lines = run("chat", chunks);
    expect(lines.slice(0, 3)).toEqual([
      { model: "gw/model:1", created_at: T, message: { role: "assistant", content: "", thinking: "Hmm." }, done: false },
      { model: "gw/model:1", created_at: T, message: { role: "assistant", content: "Hello" }, done: false },
      { model: "gw/model:1", created_at: T, message: { role: "assistant", content: " there" }, done: false },
    ]);
    const final = lines[3]!;
    expect(Object.keys(final)).toEqual(["model", "created_at", "message", "done_reason", "done", "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"]);
    expect(final).toMatchObject({ message: { role: "assistant", content: "" }, done_reason: "stop", done: true, load_duration: 0, prompt_eval_count: 12, eval_count: 3 });
    for (const key of ["total_duration", "prompt_eval_duration", "eval_duration"]) expect(Number.isInteger(final[key])).toBe(true);
    expect(final.total_duration as number).toBeGreaterThanOrEqual((final.prompt_eval_duration as number) + (final.eval_duration as number) - 1);
    expect(lines).toHaveLength(4);
  });

  test("tool calls are sent whole, arguments as an object, once the call is complete", () => {
    const lines = run("chat", [
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "get_weather", arguments: '{"ci' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "c2", function: { name: "now", arguments: "" } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]);
    expect(lines[0]).toEqual({
      model: "gw/model:1",
      created_at: T,
      message: { role: "assistant", content: "", tool_calls: [{ id: "c1", function: { index: 0, name: "get_weather", arguments: { city: "Paris" } } }, { id: "c2", function: { index: 1, name: "now", arguments: {} } }] },
      done: false,
    });
    expect(lines[1]).toMatchObject({ done: true, done_reason: "stop" });
    expect(lines).toHaveLength(2);
  });

  test("upstream call indexes that start past 0 or skip some are numbered from 0, with no empty (null) call", () => {
    const call = (index: number, id: string) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index, id, type: "function" as const, function: { name: "lookup", arguments: `{"q":${index}}` } }] } }] });
    for (const indexes of [[1], [0, 2], [5000]]) {
      const lines = run("chat", [...indexes.map((index) => call(index, `c${index}`)), { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }]);
      const calls = (lines[0]!.message as { tool_calls: unknown[] }).tool_calls;
      expect(calls).toEqual(indexes.map((index, i) => ({ id: `c${index}`, function: { index: i, name: "lookup", arguments: { q: index } } })));
    }
  });

  test("a name an upstream repeats on every delta is taken once; one split over deltas is joined", () => {
    const lines = run("chat", [
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "get_weather", arguments: '{"city":' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: "get_weather", arguments: '"Paris"}' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "c2", function: { name: "get_", arguments: "" } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, function: { name: "time", arguments: "{}" } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]);
    const calls = (lines[0]!.message as { tool_calls: { function: { name: string } }[] }).tool_calls;
    expect(calls.map((c) => c.function.name)).toEqual(["get_weather", "get_time"]);
  });

  test("a call the output limit cut (its arguments cut short) is no call: the answer ends length, not a 502", () => {
    const lines = run("chat", [
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "get_weather", arguments: '{"city":"Par' } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "length" }] },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ done: true, done_reason: "length" });
  });

  test("a provider that ends without a finish reason still gets its calls out and a done line", () => {
    const lines = run("chat", [{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: "x", arguments: "{}" } }] } }] }]);
    expect(lines.map((l) => l.done)).toEqual([false, true]);
    expect(lines[1]).toMatchObject({ done_reason: "stop" });
  });

  test("tool-call arguments that are not a JSON object are the provider's fault (502)", () => {
    const encoder = ollamaStreamEncoder(settings("chat"));
    encoder.chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: "x", arguments: "[1]" } }] } }] });
    expect(() => encoder.chunk({ choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })).toThrow(expect.objectContaining({ status: 502 }));
  });

  test("without usage from the provider the counts are the gateway's estimate", () => {
    const final = run("chat", [text("abcdefgh"), { choices: [{ index: 0, delta: {}, finish_reason: "length" }] }]).at(-1)!;
    expect(final).toMatchObject({ done_reason: "length", prompt_eval_count: 10, eval_count: 2 });
  });

  test("other choices than the first are not streamed (Ollama has no n)", () => {
    expect(run("chat", [{ choices: [{ index: 1, delta: { content: "other" } }] }])).toHaveLength(1);
  });
});

describe("generate lines", () => {
  test("text as `response`, thinking beside it; the final line has an empty response", () => {
    const lines = run("generate", [{ choices: [{ index: 0, delta: { content: "Hi", reasoning_content: "ok" } as never }] }]);
    expect(lines[0]).toEqual({ model: "gw/model:1", created_at: T, response: "Hi", thinking: "ok", done: false });
    expect(lines[1]).toMatchObject({ response: "", done: true, done_reason: "stop" });
  });
});

describe("characters", () => {
  test("multi-byte text and a surrogate pair split across two chunks arrive whole in the client's string", () => {
    const lines = run("chat", [text("héllo 日本 "), text("\ud83d"), text("\ude00!")]);
    const joined = lines.slice(0, 3).map((l) => (l.message as { content: string }).content).join("");
    expect(joined).toBe("héllo 日本 😀!");
    // Every line is valid UTF-8 on its own: the lone halves travel as JSON escapes.
    const encoder = ollamaStreamEncoder(settings("chat"));
    const bytes = new TextEncoder().encode(encoder.chunk(text("\ud83d")));
    expect(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toContain("\\ud83d");
  });

  test("newlines inside text never break the one-object-a-line framing", () => {
    const lines = run("chat", [text("a\nb\r\n"), text('"quoted"\u2028')]);
    expect(lines.slice(0, 2).map((l) => (l.message as { content: string }).content)).toEqual(["a\nb\r\n", '"quoted"\u2028']);
  });
});

test("an error after the start is one {\"error\"} line", () => {
  const mapped = { status: 502, body: { error: { message: "upstream broke", type: "api_error", param: null, code: "upstream_error" } }, headers: {}, internal: false } satisfies MappedError;
  expect(ollamaStreamEncoder(settings("chat")).error(mapped)).toBe('{"error":"upstream broke"}\n');
});

describe("log probabilities", () => {
  const lp = (token: string) => ({ token, logprob: -1, bytes: null, top_logprobs: [] });
  const with_ = (delta: Record<string, unknown>, tokens: string[]): ChunkResult => ({ choices: [{ index: 0, delta, logprobs: { content: tokens.map(lp), refusal: null } }] });
  const lines = (logprobs: boolean) => {
    const encoder = ollamaStreamEncoder({ ...settings("chat"), logprobs });
    const chunks = [with_({ reasoning_content: "Hmm" }, ["Hmm"]), with_({}, ["Hel"]), with_({ content: "Hello" }, ["lo"]), { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] } as ChunkResult];
    const body = encoder.start() + chunks.map((c) => encoder.chunk(c)).join("") + encoder.end();
    return body.slice(0, -1).split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  test("asked for: each line carries its chunk's tokens, and tokens with no text get a line of their own, as Ollama streams them", () => {
    const got = lines(true);
    expect(got.map((line) => (line.logprobs as { token: string }[] | undefined)?.map((t) => t.token) ?? null)).toEqual([["Hmm"], ["Hel"], ["lo"], null]);
    expect(got[1]).toMatchObject({ message: { role: "assistant", content: "" }, done: false, logprobs: [{ token: "Hel", logprob: -1, bytes: [72, 101, 108], top_logprobs: [] }] });
  });

  test("not asked for: no logprobs, and no line for tokens alone", () => {
    const got = lines(false);
    expect(got.every((line) => !("logprobs" in line))).toBe(true);
    expect(got).toHaveLength(3);
  });
});
