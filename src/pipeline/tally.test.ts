import { describe, expect, test } from "bun:test";
import type { Usage } from "../schemas/common.ts";
import type { ChatResult } from "../plugin.ts";
import { embeddedTokens, MAX_TOKENS, resultTokens, StreamTally, toTokenUsage } from "./tally.ts";

describe("toTokenUsage", () => {
  test("a provider's figures as they are", () => {
    expect(toTokenUsage({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19, completion_tokens_details: { reasoning_tokens: 3 } })).toEqual({ input: 12, output: 7, reasoning: 3 });
    expect(toTokenUsage(undefined)).toBeUndefined();
    expect(toTokenUsage(null)).toBeUndefined();
  });

  test("a figure a broken upstream left out, or sent negative, non-numeric or infinite, is not the provider's: the gateway's estimate stands for it, marked so, never 0 or below", () => {
    const broken = { prompt_tokens: -5, completion_tokens: "7", total_tokens: 2, completion_tokens_details: { reasoning_tokens: Number.NaN } } as unknown as Usage;
    expect(toTokenUsage(broken)).toBeUndefined();
    expect(toTokenUsage({ prompt_tokens: 2.7, completion_tokens: 3, total_tokens: 0, completion_tokens_details: { reasoning_tokens: Number.NaN } })).toEqual({ input: 2, output: 3, reasoning: 0 });
    const answer = (usage: unknown): ChatResult => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: "x".repeat(80) } }], usage: usage as Usage });
    // A prompt the gateway estimates at 100 tokens; 80 characters of answer (20).
    expect(resultTokens(answer({ prompt_tokens: 12 }), () => 100)).toEqual({ input: 12, output: 20, reasoning: 0, estimated: true });
    expect(resultTokens(answer({ prompt_tokens: 2.7, completion_tokens: Infinity, total_tokens: 0 }), () => 100)).toEqual({ input: 2, output: 20, reasoning: 0, estimated: true });
    expect(resultTokens(answer(broken), () => 100)).toEqual({ input: 100, output: 20, reasoning: 0, estimated: true });
    // What the provider did say is kept (a probe): a figure its total implies, the reasoning it counted.
    expect(resultTokens(answer({ prompt_tokens: 10, total_tokens: 40 }), () => 100)).toEqual({ input: 10, output: 30, reasoning: 0 });
    expect(resultTokens(answer({ completion_tokens: 5, total_tokens: 40 }), () => 100)).toEqual({ input: 35, output: 5, reasoning: 0 });
    expect(resultTokens(answer({ prompt_tokens: 10, completion_tokens_details: { reasoning_tokens: 50 } }), () => 100)).toEqual({ input: 10, output: 70, reasoning: 50, estimated: true });
    const tally = new StreamTally(() => 100);
    tally.add({ choices: [{ index: 0, delta: { content: "x".repeat(80) } }] });
    tally.add({ choices: [], usage: { completion_tokens: 9 } as Usage });
    expect(tally.tokens()).toEqual({ input: 100, output: 9, reasoning: 0, estimated: true });
  });
});

describe("a figure no request can have (an upstream's bug) is none: the gateway's estimate stands for it", () => {
  // A probe: a negative count read as unsigned 64 bits (2^64 - 5) made Redis refuse the token update
  // and took Redis for away; 1e300 went into the limits' counters, the logs and the metrics as it was.
  test.each([10000000000000000000, 2 ** 64 - 5, 1e300, MAX_TOKENS + 1])("%p", (huge) => {
    const answer = (usage: unknown): ChatResult => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: "x".repeat(80) } }], usage: usage as Usage });
    expect(toTokenUsage({ prompt_tokens: huge, completion_tokens: 7, total_tokens: huge + 7 })).toBeUndefined();
    expect(resultTokens(answer({ prompt_tokens: huge, completion_tokens: 7, total_tokens: 19 }), () => 100)).toEqual({ input: 12, output: 7, reasoning: 0 });
    expect(resultTokens(answer({ prompt_tokens: 12, completion_tokens: huge, total_tokens: huge }), () => 100)).toEqual({ input: 12, output: 20, reasoning: 0, estimated: true });
    expect(resultTokens(answer({ prompt_tokens: 12, completion_tokens: 7, completion_tokens_details: { reasoning_tokens: huge } }), () => 100)).toEqual({ input: 12, output: 7, reasoning: 0 });
    const tally = new StreamTally(() => 100);
    tally.add({ choices: [{ index: 0, delta: { content: "x".repeat(80) } }] });
    tally.add({ choices: [], usage: { prompt_tokens: huge, completion_tokens: huge, total_tokens: huge } });
    expect(tally.tokens()).toEqual({ input: 100, output: 20, reasoning: 0, estimated: true });
    // Embeddings: eight characters of text, two tokens by estimate.
    expect(embeddedTokens(["abcdefgh"], huge)).toEqual({ input: 2, output: 0, reasoning: 0, estimated: true });
  });

  test("up to MAX_TOKENS (a billion, a hundred times the largest context window) a figure is the provider's", () => {
    expect(toTokenUsage({ prompt_tokens: MAX_TOKENS, completion_tokens: 1, total_tokens: MAX_TOKENS + 1 })).toEqual({ input: MAX_TOKENS, output: 1, reasoning: 0 });
    expect(embeddedTokens(["abcdefgh"], 5)).toEqual({ input: 5, output: 0, reasoning: 0 });
    expect(embeddedTokens(["abcdefgh"], -5)).toEqual({ input: 2, output: 0, reasoning: 0, estimated: true });
    expect(embeddedTokens([[1, 2, 3]])).toEqual({ input: 3, output: 0, reasoning: 0 });
  });
});

describe("thinking a provider sent as text but did not count (Ollama, vLLM)", () => {
  const thinking = (usage: unknown, reasoning = "r".repeat(40)): ChatResult => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: "x".repeat(80), reasoning_content: reasoning } as never }], usage: usage as Usage });
  test("is estimated from its text (40 characters: 10 tokens), within the output the provider counted; a count it gave stands", () => {
    expect(resultTokens(thinking({ prompt_tokens: 5, completion_tokens: 30, total_tokens: 35 }), () => 100)).toEqual({ input: 5, output: 30, reasoning: 10 });
    expect(resultTokens(thinking({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 }), () => 100)).toEqual({ input: 5, output: 4, reasoning: 4 });
    expect(resultTokens(thinking({ prompt_tokens: 5, completion_tokens: 30, total_tokens: 35, completion_tokens_details: { reasoning_tokens: 2 } }), () => 100)).toEqual({ input: 5, output: 30, reasoning: 2 });
    expect(resultTokens(thinking({ completion_tokens: 30 }), () => 100)).toEqual({ input: 100, output: 30, reasoning: 10, estimated: true });
    expect(resultTokens(thinking({ prompt_tokens: 5, completion_tokens: 30, total_tokens: 35 }, ""), () => 100)).toEqual({ input: 5, output: 30, reasoning: 0 });
    const tally = new StreamTally(() => 100);
    tally.add({ choices: [{ index: 0, delta: { reasoning_content: "r".repeat(20) } as never }] });
    tally.add({ choices: [{ index: 0, delta: { reasoning_content: "r".repeat(20), content: "x" } as never }] });
    tally.add({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 30, total_tokens: 35 } });
    expect(tally.tokens()).toEqual({ input: 5, output: 30, reasoning: 10 });
  });
});

describe("StreamTally's first token", () => {
  const role = { choices: [{ index: 0, delta: { role: "assistant" as const } }] };
  const text = { choices: [{ index: 0, delta: { content: "Hi" } }] };
  test("a token in the provider's first batch came when the batch did (its chunks are read later, when the body is pulled)", () => {
    const tally = new StreamTally(() => 0);
    tally.firstBatchArrived(123.5, 2);
    tally.add(role);
    expect(tally.firstTokenAt).toBeUndefined();
    tally.add(text);
    expect(tally.firstTokenAt).toBe(123.5);
  });

  test("a token after the first batch is stamped when it is read; a role-only or empty chunk is no token", () => {
    const tally = new StreamTally(() => 0);
    tally.firstBatchArrived(1, 1);
    tally.add({ choices: [] });
    tally.add(role);
    expect(tally.firstTokenAt).toBeUndefined();
    const before = performance.now();
    tally.add({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function" as const, function: { name: "f", arguments: "" } }] } }] });
    expect(tally.firstTokenAt).toBeGreaterThanOrEqual(before);
  });

  test("audio (an audio model's stream) is a token too", () => {
    const tally = new StreamTally(() => 0);
    tally.add({ choices: [{ index: 0, delta: { audio: { id: "audio_1", data: "UklGR", transcript: "" } } as never }] });
    expect(tally.firstTokenAt).toBeDefined();
  });
});
