import { describe, expect, test } from "bun:test";
import type { ChunkResult } from "../../src/kit.ts";
import batch from "./__fixtures__/batch-embed-contents.json";
import emptyBlockReason from "./__fixtures__/generate-empty-block-reason.json";
import functionCallWithSignature from "./__fixtures__/generate-function-call-thought-signature.json";
import malformedFunctionCall from "./__fixtures__/generate-malformed-function-call.json";
import parallelCalls from "./__fixtures__/generate-parallel-function-calls.json";
import blocked from "./__fixtures__/generate-prompt-blocked.json";
import safetyFinish from "./__fixtures__/generate-safety-finish.json";
import text from "./__fixtures__/generate-text.json";
import thinking from "./__fixtures__/generate-thinking.json";
import twoCandidates from "./__fixtures__/generate-two-candidates.json";
import streamParallelCalls from "./__fixtures__/stream-parallel-function-calls.events.json";
import streamText from "./__fixtures__/stream-text.events.json";
import streamThinking from "./__fixtures__/stream-thinking.events.json";
import { fromGeminiEmbeddings, fromGeminiResponse, fromGeminiStream, toLogprobs, toOpenAIUsage } from "./convert-response.ts";
import type { GeminiResponse } from "./wire.ts";

const from = (fixture: unknown) => fromGeminiResponse(fixture as GeminiResponse);
const ID = expect.stringMatching(/^call_[0-9A-Za-z]{24}$/);

describe("fromGeminiResponse", () => {
  test("text parts → content; STOP → stop; usage", () => {
    expect(from(text)).toEqual({
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Elara found the backpack in a dusty corner of her grandmother's attic. The moment she slipped it on, it whispered the way home.",
          },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 8, completion_tokens: 28, total_tokens: 36 },
    });
  });

  test("thought parts → reasoning_content, never content; thinking tokens count as completion and reasoning", () => {
    expect(from(thinking)).toEqual({
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "The sum of the primes below 10 is 17.",
            reasoning_content: "**Counting the primes**\n\nI list the primes below 10: 2, 3, 5 and 7, and add them.",
          },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 129, total_tokens: 141, completion_tokens_details: { reasoning_tokens: 118 } },
    });
  });

  test("Gemini's functionCall.id is kept in the tool-call id", () => {
    const result = from({ candidates: [{ content: { role: "model", parts: [{ functionCall: { name: "f", args: {}, id: "fc_7" } }] }, finishReason: "STOP", index: 0 }] });
    const id = (result.choices[0]!.message as { tool_calls: { id: string }[] }).tool_calls[0]!.id;
    expect(id).toMatch(/^call_[0-9A-Za-z]{24}__gid__fc_7$/);
  });

  test("a functionCall with STOP is tool_calls; the signature is in extra_content and in the id", () => {
    const result = from(functionCallWithSignature);
    const signature = "CpEDAdHtim9+/v2iiHz0kEuL5WdqrCyJ2n6mX0Q3Vo8Yxt0PAyD1n2wNPsbuZbGx9T8LhRZ==";
    expect(result.choices as unknown).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: expect.stringMatching(/^call_[0-9A-Za-z]{24}__thought__/),
              type: "function",
              function: { name: "check_flight", arguments: '{"flight":"AA100"}' },
              extra_content: { google: { thought_signature: signature } },
            },
          ],
        },
        finish_reason: "tool_calls",
      },
    ]);
    expect(result.choices[0]!.message.tool_calls![0]!.id.split("__thought__")[1]).toBe(signature);
  });

  test("parallel calls: text kept, distinct ids, only the signed call carries a signature", () => {
    const message = from(parallelCalls).choices[0]!.message;
    expect(message as unknown).toEqual({
      role: "assistant",
      content: "Let me check both cities.",
      tool_calls: [
        {
          id: expect.stringMatching(/__thought__Cq0BAdHtim\+SigA\/first\/call==$/),
          type: "function",
          function: { name: "get_current_temperature", arguments: '{"location":"Paris"}' },
          extra_content: { google: { thought_signature: "Cq0BAdHtim+SigA/first/call==" } },
        },
        { id: ID, type: "function", function: { name: "get_current_temperature", arguments: '{"location":"London"}' } },
      ],
    });
    expect(message.tool_calls![0]!.id).not.toBe(message.tool_calls![1]!.id);
  });

  test("several candidates (n) → several choices, each with its own finish reason", () => {
    expect(from(twoCandidates).choices).toEqual([
      { index: 0, message: { role: "assistant", content: "Blue." }, finish_reason: "stop" },
      { index: 1, message: { role: "assistant", content: "Azure, like the sky" }, finish_reason: "length" },
    ]);
  });

  test("a candidate stopped by SAFETY is a content_filter completion", () => {
    expect(from(safetyFinish).choices).toEqual([{ index: 0, message: { role: "assistant", content: "" }, finish_reason: "content_filter" }]);
  });

  test("a blocked prompt is a 400 content_filter, never an empty 200", () => {
    expect(() => from(blocked)).toThrow(
      expect.objectContaining({ status: 400, code: "content_filter", param: "messages", message: "Gemini blocked the prompt (blockReason SAFETY)." }),
    );
  });

  test("an empty blockReason is not a block", () => {
    expect(from(emptyBlockReason).choices[0]!.message.content).toBe("Here is a gentle bedtime story.");
  });

  test("MALFORMED_FUNCTION_CALL is an upstream error (502), not content_filter", () => {
    expect(() => from(malformedFunctionCall)).toThrow(
      expect.objectContaining({
        status: 502,
        code: "upstream_error",
        message: "Gemini could not complete the answer (finishReason MALFORMED_FUNCTION_CALL): Malformed function call: print(default_api.get_weather(city=Paris))",
      }),
    );
  });

  test("no candidates and no block is an upstream error", () => {
    expect(() => from({ usageMetadata: { promptTokenCount: 3 } })).toThrow(expect.objectContaining({ status: 502, message: "Gemini answered without any candidate." }));
  });
});

describe("toOpenAIUsage", () => {
  test("absent metadata, no usage", () => {
    expect(toOpenAIUsage(undefined)).toBeUndefined();
  });
  test("thoughts are completion tokens; tool-use prompt tokens are prompt tokens; cached tokens are reported", () => {
    expect(
      toOpenAIUsage({ promptTokenCount: 100, toolUsePromptTokenCount: 20, candidatesTokenCount: 30, thoughtsTokenCount: 50, cachedContentTokenCount: 64, totalTokenCount: 200 }),
    ).toEqual({
      prompt_tokens: 120,
      completion_tokens: 80,
      total_tokens: 200,
      completion_tokens_details: { reasoning_tokens: 50 },
      prompt_tokens_details: { cached_tokens: 64 },
    });
  });
  test("a missing total is the sum", () => {
    expect(toOpenAIUsage({ promptTokenCount: 4, candidatesTokenCount: 2 })).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
  });
});

async function* events(list: readonly unknown[]): AsyncGenerator<GeminiResponse> {
  for (const event of list) yield event as GeminiResponse;
}
const collect = async (list: readonly unknown[]) => {
  const out: ChunkResult[] = [];
  for await (const chunk of fromGeminiStream(events(list))) out.push(chunk);
  return out;
};

describe("fromGeminiStream", () => {
  test("text deltas, the finish on the last event (an empty text part sends no content), the prompt's count on the first chunk, one usage chunk", async () => {
    expect(await collect(streamText)).toEqual([
      { choices: [{ index: 0, delta: { content: "Elara found" } }], usage: { prompt_tokens: 8 } as never },
      { choices: [{ index: 0, delta: { content: " the backpack in the attic." } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 8, completion_tokens: 9, total_tokens: 17 } },
    ]);
  });

  test("thought deltas → reasoning_content; thinking tokens in completion usage", async () => {
    expect(await collect(streamThinking)).toEqual([
      { choices: [{ index: 0, delta: { reasoning_content: "**Adding primes** 2+3+5+7." } }], usage: { prompt_tokens: 12 } as never },
      { choices: [{ index: 0, delta: { content: "The sum is 17." }, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 12, completion_tokens: 124, total_tokens: 136, completion_tokens_details: { reasoning_tokens: 118 } } },
    ]);
  });

  test("several function calls in one stream get distinct indexes; STOP after them is tool_calls", async () => {
    const chunks = await collect(streamParallelCalls);
    expect(chunks as unknown).toEqual([
      {
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index: 0,
                  id: expect.stringMatching(/^call_\w{24}__thought__Cq0BAdHtim\+SigA\/first\/call==$/),
                  type: "function",
                  function: { name: "get_current_temperature", arguments: '{"location":"Paris"}' },
                  extra_content: { google: { thought_signature: "Cq0BAdHtim+SigA/first/call==" } },
                },
              ],
            },
          },
        ],
        usage: { prompt_tokens: 60 },
      },
      {
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 1, id: expect.stringMatching(/^call_\w{24}$/), type: "function", function: { name: "get_current_temperature", arguments: '{"location":"London"}' } }],
            },
            finish_reason: "tool_calls",
          },
        ],
      },
      { choices: [], usage: { prompt_tokens: 60, completion_tokens: 30, total_tokens: 90 } },
    ]);
  });

  test("candidates of n > 1 stream as their own choices; one without a finishReason is closed at the end", async () => {
    const chunks = await collect([
      { candidates: [{ content: { parts: [{ text: "A" }] }, index: 0 }, { content: { parts: [{ text: "B" }] }, index: 1 }] },
      { candidates: [{ content: { parts: [{ functionCall: { name: "f", args: {} } }] }, finishReason: "STOP", index: 1 }] },
    ]);
    expect(chunks).toEqual([
      { choices: [{ index: 0, delta: { content: "A" } }, { index: 1, delta: { content: "B" } }] },
      { choices: [{ index: 1, delta: { tool_calls: [{ index: 0, id: expect.any(String), type: "function", function: { name: "f", arguments: "{}" } }] }, finish_reason: "tool_calls" }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    ]);
  });

  test("a stream that ends with no candidate finished was cut: an error, not a whole answer (text so far already sent)", async () => {
    const seen: unknown[] = [];
    const failed = await (async () => {
      for await (const chunk of fromGeminiStream((async function* () {
        yield { candidates: [{ content: { parts: [{ text: "Hello wor" }] }, index: 0 }] };
      })())) seen.push(chunk);
    })().catch((error: unknown) => error);
    expect(seen).toEqual([{ choices: [{ index: 0, delta: { content: "Hello wor" } }] }]);
    expect(failed).toMatchObject({ status: 502, message: "Gemini's stream ended before the answer was finished (no finishReason)." });
  });

  test("a finish repeated on a later event (with the final usage) finishes the choice once", async () => {
    const done = { content: { parts: [{ text: "" }] }, finishReason: "STOP", index: 0 };
    expect(await collect([{ candidates: [{ content: { parts: [{ text: "Hi" }] }, finishReason: "STOP", index: 0 }] }, { candidates: [done], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 } }])).toEqual([
      { choices: [{ index: 0, delta: { content: "Hi" }, finish_reason: "stop" }] },
      { choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
    ]);
  });

  test("a blocked prompt in the first event throws the 400 before any chunk", async () => {
    await expect(collect([blocked])).rejects.toMatchObject({ status: 400, code: "content_filter" });
  });

  test("an empty blockReason is not a block", async () => {
    const chunks = await collect([{ promptFeedback: { blockReason: "" }, candidates: [{ content: { parts: [{ text: "ok" }] }, finishReason: "STOP" }] }]);
    expect(chunks).toEqual([{ choices: [{ index: 0, delta: { content: "ok" }, finish_reason: "stop" }] }]);
  });

  test("MALFORMED_FUNCTION_CALL mid-stream throws an upstream error after what was sent", async () => {
    const iterator = fromGeminiStream(events([{ candidates: [{ content: { parts: [{ text: "Let me" }] } }] }, { candidates: [{ finishReason: "MALFORMED_FUNCTION_CALL" }] }]));
    expect(await iterator.next()).toEqual({ done: false, value: { choices: [{ index: 0, delta: { content: "Let me" } }] } });
    await expect(iterator.next()).rejects.toMatchObject({ status: 502, code: "upstream_error", message: "Gemini could not complete the answer (finishReason MALFORMED_FUNCTION_CALL)." });
  });

  test("a stream with no candidate at all is an upstream error, not an empty answer", async () => {
    await expect(collect([{ usageMetadata: { promptTokenCount: 3 } }])).rejects.toMatchObject({ status: 502 });
  });
});

describe("fromGeminiEmbeddings", () => {
  test("one vector per input, across batches, in order", () => {
    expect(fromGeminiEmbeddings([batch, { embeddings: [{ values: [9] }] }], 3)).toEqual({
      embeddings: [[0.013168523, -0.008711934, -0.046782676, 0.00069968984], [-0.024317421, 0.0123, 0.0441, -0.0101], [9]],
    });
  });

  test("usage when Gemini counts tokens", () => {
    expect(fromGeminiEmbeddings([{ embeddings: [{ values: [1] }], usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }], 1)).toEqual({
      embeddings: [[1]],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });

  test("a count mismatch is an upstream error", () => {
    expect(() => fromGeminiEmbeddings([batch], 3)).toThrow(expect.objectContaining({ status: 502, message: "Gemini returned 2 embeddings for 3 inputs." }));
  });
});

describe("toLogprobs", () => {
  test("each step's chosen token with that step's top candidates; steps Gemini sent without a token or a probability are left out", () => {
    expect(
      toLogprobs({
        chosenCandidates: [{ token: "Ja", logProbability: -0.5 }, { logProbability: -1 }, { token: "!", logProbability: 0 }],
        topCandidates: [{ candidates: [{ token: "Ja", logProbability: -0.5 }, { token: "Nee" }] }, { candidates: [] }],
      }),
    ).toEqual({
      content: [
        { token: "Ja", logprob: -0.5, bytes: [74, 97], top_logprobs: [{ token: "Ja", logprob: -0.5, bytes: [74, 97] }] },
        { token: "!", logprob: 0, bytes: [33], top_logprobs: [] },
      ],
      refusal: null,
    });
    expect(toLogprobs(undefined)).toBeUndefined();
    expect(toLogprobs({ chosenCandidates: [] })).toBeUndefined();
  });
});
