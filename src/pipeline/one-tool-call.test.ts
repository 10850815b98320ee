import { describe, expect, test } from "bun:test";
import type { ChatResult, ChunkResult } from "../plugin.ts";
import { firstToolCallOnly, firstToolCallStream, wantsOneToolCall } from "./one-tool-call.ts";
import type { ChunkBatch } from "./stream-writer.ts";

const call = (id: string, city: string) => ({ id, type: "function" as const, function: { name: "w", arguments: `{"city":"${city}"}` } });
const delta = (index: number, args: string, id?: string) => ({ index, ...(id ? { id, type: "function" as const } : {}), function: { ...(id ? { name: "w" } : {}), arguments: args } });
const chunk = (toolCalls: ReturnType<typeof delta>[], finish?: "tool_calls"): ChunkResult => ({ choices: [{ index: 0, delta: { tool_calls: toolCalls }, ...(finish ? { finish_reason: finish } : {}) }] });

describe("parallel_tool_calls: false", () => {
  test("asked only by false (absent or true keeps every call)", () => {
    const chat = { model: "m", messages: [] };
    expect(wantsOneToolCall({ ...chat, parallel_tool_calls: false } as typeof chat)).toBe(true);
    expect(wantsOneToolCall({ ...chat, parallel_tool_calls: true } as typeof chat)).toBe(false);
    expect(wantsOneToolCall(chat)).toBe(false);
  });

  test("a complete answer keeps its first call; the provider's object is not changed; one call or none is the same object", () => {
    const result: ChatResult = { choices: [{ index: 0, finish_reason: "tool_calls", message: { content: null, tool_calls: [call("a", "Paris"), call("b", "Oslo")] } }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    const one = firstToolCallOnly(result);
    expect(one.choices[0]!.message.tool_calls).toEqual([call("a", "Paris")]);
    expect(one.usage).toBe(result.usage!);
    expect(result.choices[0]!.message.tool_calls).toHaveLength(2);
    const single: ChatResult = { choices: [{ index: 0, finish_reason: "tool_calls", message: { content: null, tool_calls: [call("a", "Paris")] } }] };
    expect(firstToolCallOnly(single)).toBe(single);
    const text: ChatResult = { choices: [{ index: 0, finish_reason: "stop", message: { content: "hi" } }] };
    expect(firstToolCallOnly(text)).toBe(text);
  });

  test("a stream keeps the deltas of the first call index it names (not necessarily 0), in single chunks and batches; others' are dropped", async () => {
    const sent: ChunkBatch[] = [
      [chunk([delta(1, "", "call_1")]), chunk([delta(1, '{"city":')])],
      chunk([delta(1, '"Paris"}'), delta(2, "", "call_2")]),
      chunk([delta(2, '{"city":"Oslo"}')]),
      { choices: [{ index: 0, delta: { content: "done" }, finish_reason: "tool_calls" }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ];
    const copy = structuredClone(sent);
    const source = sent[Symbol.iterator]();
    const upstream: AsyncIterator<ChunkBatch> = { next: async () => source.next() as IteratorResult<ChunkBatch> };
    const first = await upstream.next();
    const wrapped = firstToolCallStream(first, upstream);
    const out: ChunkBatch[] = [wrapped.first.value as ChunkBatch];
    for (let next = await wrapped.iterator.next(); !next.done; next = await wrapped.iterator.next()) out.push(next.value);
    const flat = out.flatMap((batch) => (Array.isArray(batch) ? batch : [batch])) as ChunkResult[];
    const kept = flat.flatMap((c) => c.choices[0]!.delta.tool_calls ?? []);
    expect(kept.map((d) => [d.index, d.function?.arguments])).toEqual([
      [1, ""],
      [1, '{"city":'],
      [1, '"Paris"}'],
    ]);
    // The chunk left with no call of its own is still a chunk (its delta without tool_calls), and the rest pass as they are.
    expect(flat[3]!.choices[0]!.delta).toEqual({});
    expect(flat[4]).toBe(sent[3] as ChunkResult);
    expect(sent).toEqual(copy);
  });

  test("with several choices (n > 1), each keeps its own first call, complete and streamed", async () => {
    const result: ChatResult = {
      choices: [
        { index: 0, finish_reason: "tool_calls", message: { content: null, tool_calls: [call("a", "Paris")] } },
        { index: 1, finish_reason: "tool_calls", message: { content: null, tool_calls: [call("b", "Oslo"), call("c", "Rome")] } },
      ],
    };
    expect(firstToolCallOnly(result).choices.map((c) => c.message.tool_calls!.map((t) => t.id))).toEqual([["a"], ["b"]]);
    const sent: ChunkResult = {
      choices: [
        { index: 0, delta: { tool_calls: [delta(0, "{}", "a")] } },
        { index: 1, delta: { tool_calls: [delta(0, "{}", "b"), delta(1, "{}", "c")] } },
      ],
    };
    const wrapped = firstToolCallStream({ done: false, value: sent }, { next: async () => ({ done: true, value: undefined }) });
    const out = wrapped.first.value as ChunkResult;
    expect(out.choices.map((c) => c.delta.tool_calls!.map((t) => t.id))).toEqual([["a"], ["b"]]);
  });

  test("the wrapped iterator's return reaches the provider's (a client that leaves stops it)", async () => {
    let returned = false;
    const upstream: AsyncIterator<ChunkBatch> = {
      next: async () => ({ done: true, value: undefined }),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    };
    const wrapped = firstToolCallStream({ done: true, value: undefined }, upstream);
    await wrapped.iterator.return?.();
    expect(returned).toBe(true);
  });
});
