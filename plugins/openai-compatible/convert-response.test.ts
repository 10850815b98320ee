import { describe, expect, test } from "bun:test";
import { COMPLETION, EMBEDDINGS, ERRORS, MODEL_LIST, TEXT_CHUNKS, TEXT_CHUNKS_WITH_USAGE, TOOL_CALL_CHUNKS, TOOL_CALL_COMPLETION } from "./__fixtures__/openai-wire.ts";
import {
  fromUpstreamChunk,
  fromUpstreamCompletion,
  fromUpstreamEmbeddings,
  fromUpstreamEvents,
  fromUpstreamModelList,
} from "./convert-response.ts";
import type { ErrorContext } from "./map-error.ts";
import type { ChunkResult } from "../../src/kit.ts";

const ctx: ErrorContext = { instance: "up", requestedModel: "up/gpt-4o-mini", hasKey: true, redact: (t) => t };
const clone = <T>(value: T): T => structuredClone(value) as T;

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { status: number; code: string | null }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { status: number; code: string | null };
  }
  throw new Error("expected a rejection");
}

describe("fromUpstreamCompletion", () => {
  test("the answer minus object/created/model; id, extras and usage details as received", () => {
    const { object: _o, created: _c, model: _m, ...expected } = clone(COMPLETION);
    expect(fromUpstreamCompletion(clone(COMPLETION), ctx)).toEqual(expected as never);
  });

  test("tool calls pass through; an id that is not chatcmpl- is left to the core", () => {
    const result = fromUpstreamCompletion({ ...clone(TOOL_CALL_COMPLETION), id: "gen-12345" }, ctx);
    expect(result.id).toBeUndefined();
    expect(result.choices[0]!.message.tool_calls).toEqual(clone(TOOL_CALL_COMPLETION.choices[0].message.tool_calls) as never);
    expect(result.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("finish reasons outside the contract are mapped; a missing index is the position", () => {
    const result = fromUpstreamCompletion({ choices: [{ message: { content: "a" }, finish_reason: "eos" }, { message: { content: "b" }, finish_reason: null }] }, ctx);
    expect(result.choices).toEqual([
      { index: 0, message: { content: "a" }, finish_reason: "stop" },
      { index: 1, message: { content: "b" }, finish_reason: "stop" },
    ] as never);
  });

  test("what servers other than OpenAI leave out or null is made OpenAI's (a probe): logprobs' refusal, null figures in the usage details, a tool call's id and type", () => {
    const result = fromUpstreamCompletion(
      {
        choices: [{ index: 0, finish_reason: "tool_calls", logprobs: { content: [{ token: "Hi", logprob: -0.5, bytes: [72, 105], top_logprobs: [] }] }, message: { content: null, tool_calls: [{ function: { name: "f", arguments: "{}" } }] } }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, prompt_tokens_details: { audio_tokens: null, cached_tokens: 0, text_tokens: null, image_tokens: null } },
      },
      ctx,
    );
    const choice = result.choices[0]! as unknown as { logprobs: Record<string, unknown>; message: { tool_calls: { id: string; type: string }[] } };
    expect(choice.logprobs).toEqual({ content: [{ token: "Hi", logprob: -0.5, bytes: [72, 105], top_logprobs: [] }], refusal: null });
    expect(JSON.parse(JSON.stringify(result.usage))).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } });
    expect(choice.message.tool_calls[0]).toMatchObject({ id: expect.stringMatching(/^call_/), type: "function" });
  });

  test("the input is not changed", () => {
    const input = clone(COMPLETION);
    fromUpstreamCompletion(input, ctx);
    expect(input).toEqual(clone(COMPLETION));
  });

  test.each([["not json-ish"], [null], [{}], [{ choices: "no" }], [{ choices: [{ index: 0 }] }]])("garbage %j → 502 upstream_error", (body) => {
    expect(() => fromUpstreamCompletion(body, ctx)).toThrow(
      expect.objectContaining({ status: 502, code: "upstream_error", message: "The upstream up answered with something that is not a chat completion." }),
    );
  });

  test("a completion with no choice is no answer → 502 upstream_error", () => {
    expect(() => fromUpstreamCompletion({ ...clone(COMPLETION), choices: [] }, ctx)).toThrow(
      expect.objectContaining({ status: 502, code: "upstream_error", message: "The upstream up answered with no choices." }),
    );
  });

  test("a 200 that carries an error (OpenRouter) is that error", () => {
    expect(() => fromUpstreamCompletion({ error: { message: "Rate limited", code: 429 } }, ctx)).toThrow(
      expect.objectContaining({ status: 429, code: "rate_limit_exceeded", message: "Rate limited" }),
    );
  });
});

describe("fromUpstreamChunk", () => {
  test("the same object, unchanged but for the choices (the core overwrites id/object/created/model)", () => {
    const event = clone(TEXT_CHUNKS[1]!);
    const chunk = fromUpstreamChunk(event, ctx);
    expect(chunk).toBe(event as never);
    expect(chunk).toEqual(clone(TEXT_CHUNKS[1]!) as never);
  });

  test("without an id, object/created/model are removed (the core then adds all four)", () => {
    const { id: _id, ...event } = clone(TEXT_CHUNKS[1]!) as Record<string, unknown>;
    expect(fromUpstreamChunk(event, ctx)).toEqual({
      system_fingerprint: "fp_44709d6fcb",
      choices: [{ index: 0, delta: { content: "Hello" }, logprobs: null, finish_reason: null }],
    } as never);
  });

  test("tool call deltas keep their index, id and argument pieces", () => {
    expect(TOOL_CALL_CHUNKS.map((event) => fromUpstreamChunk(clone(event), ctx).choices[0]!.delta.tool_calls)).toEqual([
      [{ index: 0, id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", type: "function", function: { name: "get_weather", arguments: "" } }],
      [{ index: 0, function: { arguments: '{"' } }],
      [{ index: 0, function: { arguments: 'location":"' } }],
      [{ index: 0, function: { arguments: 'Paris, France"}' } }],
      undefined,
    ]);
  });

  test("logprobs get refusal (a probe)", () => {
    const first = fromUpstreamChunk({ choices: [{ index: 0, delta: { content: "a" }, logprobs: { content: [] } }] }, ctx);
    expect((first.choices[0] as unknown as { logprobs: unknown }).logprobs).toEqual({ content: [], refusal: null });
  });

  test("a choice that ended in an error (OpenRouter's `error` in the choice, finish_reason 'error') throws it, as the top-level form does (a probe)", () => {
    const failing = { choices: [{ index: 0, delta: { content: "" }, finish_reason: "error", error: { code: 502, message: "Provider returned error" } }] };
    expect(() => fromUpstreamChunk(failing, ctx)).toThrow(expect.objectContaining({ status: 502, message: expect.stringContaining("Provider returned error") }));
    expect(() => fromUpstreamChunk({ choices: [{ index: 0, delta: {}, finish_reason: "error" }] }, ctx)).toThrow(expect.objectContaining({ status: 502, message: expect.stringContaining("finish_reason 'error'") }));
    const answer = { choices: [{ index: 0, finish_reason: "error", message: { role: "assistant", content: "Partial ans" }, error: { code: 429, message: "Rate limited upstream" } }] };
    expect(() => fromUpstreamCompletion(answer, ctx)).toThrow(expect.objectContaining({ status: 429 }));
  });

  test("the usage chunk keeps its usage and empty choices", () => {
    expect(fromUpstreamChunk(clone(TEXT_CHUNKS_WITH_USAGE.at(-1)!), ctx)).toMatchObject({
      system_fingerprint: "fp_44709d6fcb",
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 0 } },
    } as never);
  });

  test("a chunk without delta or index gets them; a finish reason outside the contract is mapped", () => {
    expect(fromUpstreamChunk({ choices: [{ finish_reason: "eos" }] }, ctx)).toEqual({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] } as never);
  });

  test("an error event throws the mapped error", () => {
    expect(() => fromUpstreamChunk(clone(ERRORS.server), ctx)).toThrow(
      expect.objectContaining({ status: 502, code: "upstream_error", message: `The upstream up failed: ${ERRORS.server.error.message}` }),
    );
  });

  test("an event that is not a chunk → 502", () => {
    expect(() => fromUpstreamChunk({ hello: 1 }, ctx)).toThrow(
      expect.objectContaining({ status: 502, message: "The upstream up sent a stream event that is not a chat completion chunk." }),
    );
  });
});

describe("fromUpstreamEvents", () => {
  // One event per read: the batches as a slow upstream delivers them.
  async function* events(list: readonly unknown[]) {
    for (const item of list) yield [clone(item)];
  }
  const collect = async (list: readonly unknown[]) => {
    const out = [];
    for await (const batch of fromUpstreamEvents(events(list), ctx)) out.push(...batch);
    return out;
  };

  test("a batch of events that arrived together stays one batch", async () => {
    async function* oneRead() {
      yield TEXT_CHUNKS.map((chunk) => clone(chunk));
    }
    const batches = [];
    for await (const batch of fromUpstreamEvents(oneRead(), ctx)) batches.push(batch);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((c) => c.choices[0]!.delta.content ?? null)).toEqual(["", "Hello", "!", null]);
  });

  test("an error event keeps the chunks of its own read that came before it", async () => {
    const error = { error: { message: "boom", type: "server_error", param: null, code: null } };
    async function* oneRead() {
      yield [clone(TEXT_CHUNKS[0]), clone(TEXT_CHUNKS[1]), error];
    }
    const seen: unknown[] = [];
    const failure = await rejectionOf(
      (async () => {
        for await (const batch of fromUpstreamEvents(oneRead(), ctx)) seen.push(...batch);
      })(),
    );
    expect(seen).toHaveLength(2);
    expect(failure).toMatchObject({ message: "The upstream up failed: boom" });
  });

  test("a finish reason repeated for a choice that already finished (a proxy's metadata chunk) is left out: a choice finishes once", async () => {
    const stop = { id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    const again = { id: "c", choices: [{ index: 0, delta: { content: "" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    const out = await collect([TEXT_CHUNKS[1], stop, again]);
    expect(out.map((c) => c.choices[0]!.finish_reason ?? null)).toEqual([null, "stop", null]);
    expect(out[2]!.usage).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
  });

  const callsOf = (chunks: ChunkResult[]) => chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => (choice.delta.tool_calls ?? []) as unknown as Record<string, unknown>[]));
  const callChunk = (call: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id: "chatcmpl-s1", choices: [{ index: 0, delta: { tool_calls: [call] } }], ...extra });
  const finish = { id: "chatcmpl-s1", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] };

  test("a streamed call's first delta gets an id and a type when it has none, from the stream's id; its later deltas carry its arguments only (a probe, a review)", async () => {
    const calls = callsOf(await collect([callChunk({ index: 0, function: { name: "f", arguments: "" } }), callChunk({ index: 0, function: { name: "f", arguments: '{"a":' } }), callChunk({ index: 0, function: { arguments: "1}" } }), finish]));
    expect(calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "f", arguments: "" } });
    expect(JSON.parse(JSON.stringify(calls.slice(1)))).toEqual([{ index: 0, function: { arguments: '{"a":' } }, { index: 0, function: { arguments: "1}" } }]);
  });

  test("servers that repeat a call's id, or its id and name, or only its name, on every delta: one call, said once, as OpenAI streams it (LiteLLM, DeepSeek, Qwen; a probe)", async () => {
    const first = { index: 0, id: "call_A", type: "function", function: { name: "get_weather", arguments: "" } };
    for (const repeat of [{ id: "call_A" }, { id: "call_A", type: "function", name: "get_weather" }, { name: "get_weather" }]) {
      const { name, ...fields } = repeat as { id?: string; type?: string; name?: string };
      const more = (args: string) => callChunk({ index: 0, ...fields, function: { ...(name ? { name } : {}), arguments: args } });
      const calls = JSON.parse(JSON.stringify(callsOf(await collect([callChunk(first), more('{"city":'), more('"Paris"}'), finish]))));
      expect(calls).toEqual([first, { index: 0, function: { arguments: '{"city":' } }, { index: 0, function: { arguments: '"Paris"}' } }]);
    }
  });

  test("calls are numbered from 0 in the order they open: a proxy's first call at index 1 is 0 (LiteLLM's Responses bridge; OpenAI's SDKs' stream helpers failed on it; a probe)", async () => {
    const calls = callsOf(
      await collect([
        callChunk({ index: 1, id: "call_A", type: "function", function: { name: "f", arguments: "" } }),
        callChunk({ index: 1, function: { arguments: "{}" } }),
        callChunk({ index: 3, id: "call_B", type: "function", function: { name: "g", arguments: "{}" } }),
        finish,
      ]),
    );
    expect(calls.map((call) => [call.index, call.id])).toEqual([[0, "call_A"], [0, undefined], [1, "call_B"]]);
  });

  test("yields one chunk per event", async () => {
    expect((await collect(TEXT_CHUNKS)).map((c) => c.choices[0]!.delta.content ?? null)).toEqual(["", "Hello", "!", null]);
  });

  test("a stream cut off before any choice finished is an error, after what arrived", async () => {
    const seen: unknown[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const batch of fromUpstreamEvents(events(TEXT_CHUNKS.slice(0, 2)), ctx)) seen.push(...batch);
      })(),
    );
    expect(seen).toHaveLength(2);
    expect(error).toMatchObject({ status: 502, message: "The upstream up ended the stream before the answer was finished." });
  });
});

describe("fromUpstreamModelList", () => {
  test("ids, created as given, owned_by/object left to the core, other fields as extras", () => {
    expect(fromUpstreamModelList(clone(MODEL_LIST), ctx)).toEqual([
      { id: "gpt-4o-mini", created: 1721172741 },
      { id: "text-embedding-3-small", created: 1705948997 },
    ]);
    expect(
      fromUpstreamModelList({ data: [{ id: "openai/gpt-4o", name: "GPT-4o", context_length: 128000, created: "yesterday" }, { id: "m2" }] }, ctx),
    ).toEqual([{ id: "openai/gpt-4o", name: "GPT-4o", context_length: 128000 }, { id: "m2" }]);
  });

  test("not a list → 502; an error body → that error", () => {
    expect(() => fromUpstreamModelList({ models: [] }, ctx)).toThrow(expect.objectContaining({ status: 502 }));
    expect(() => fromUpstreamModelList({ data: [{ name: "no id" }] }, ctx)).toThrow(expect.objectContaining({ status: 502 }));
    expect(() => fromUpstreamModelList({ error: { message: "Unauthorized", code: 401 } }, ctx)).toThrow(
      expect.objectContaining({ status: 502, code: "upstream_auth_failed" }),
    );
  });
});

describe("fromUpstreamEmbeddings", () => {
  test("vectors in index order, usage as given", () => {
    const reversed = { ...clone(EMBEDDINGS), data: [clone(EMBEDDINGS.data[1]), clone(EMBEDDINGS.data[0])] };
    expect(fromUpstreamEmbeddings(reversed, 2, ctx)).toEqual({
      embeddings: [[...EMBEDDINGS.data[0].embedding], [...EMBEDDINGS.data[1].embedding]],
      usage: { prompt_tokens: 8, total_tokens: 8 },
    });
  });

  test("a base64 vector (little-endian float32) is decoded", () => {
    const floats = new Float32Array([0.5, -0.25, 1]);
    const base64 = Buffer.from(floats.buffer).toString("base64");
    expect(fromUpstreamEmbeddings({ data: [{ embedding: base64, index: 0 }] }, 1, ctx)).toEqual({ embeddings: [[0.5, -0.25, 1]] });
  });

  test("a count that does not match the input, or garbage → 502", () => {
    expect(() => fromUpstreamEmbeddings(clone(EMBEDDINGS), 3, ctx)).toThrow(
      expect.objectContaining({ status: 502, message: "The upstream up returned 2 embeddings for 3 inputs." }),
    );
    expect(() => fromUpstreamEmbeddings({ data: [{ embedding: [1, "x"] }] }, 1, ctx)).toThrow(expect.objectContaining({ status: 502 }));
  });
});

describe("content as a list of parts (Mistral's Magistral)", () => {
  const magistral = [
    { type: "thinking", thinking: [{ type: "text", text: "Let me think. " }, { type: "text", text: "Done." }] },
    { type: "text", text: "Hello " },
    { type: "text", text: "in parts" },
  ];

  test("a whole answer's parts: the text as content, the thinking as reasoning_content", () => {
    const body = { id: "x", object: "chat.completion", created: 1, model: "magistral-medium", choices: [{ index: 0, message: { role: "assistant", content: magistral }, finish_reason: "stop" }] };
    expect(fromUpstreamCompletion(body, ctx).choices[0]!.message).toMatchObject({ content: "Hello in parts", reasoning_content: "Let me think. Done." });
    // Only calls and a thinking part: content null, as OpenAI's message with calls and no text.
    const calls = [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }];
    const withCalls = { ...body, choices: [{ index: 0, message: { role: "assistant", content: [magistral[0]], tool_calls: calls }, finish_reason: "tool_calls" }] };
    expect(fromUpstreamCompletion(withCalls, ctx).choices[0]!.message).toMatchObject({ content: null, reasoning_content: "Let me think. Done." });
  });

  test("a streamed delta's parts, the same way; a delta with thinking only has no content", () => {
    const chunk = (content: unknown) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    expect(fromUpstreamChunk(chunk([magistral[0]]), ctx).choices[0]!.delta).toEqual({ content: undefined, reasoning_content: "Let me think. Done." });
    expect(fromUpstreamChunk(chunk([magistral[1]]), ctx).choices[0]!.delta).toEqual({ content: "Hello " });
  });
});
