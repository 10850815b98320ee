// A provider that reports no usage: every surface still answers with token counts (the gateway's
// estimate), as the APIs it imitates always do.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { definePlugin, type ChatResult, type ChunkResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { expectOpenAI } from "./helpers/openai-schema.ts";

const TEXT = "A reply of a dozen words or so, long enough to be counted.";
const silent = definePlugin({
  name: "silent",
  models: [{ id: "no-usage-model" }],
  chat: async (): Promise<ChatResult> => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: TEXT } }] }),
  async *chatStream(): AsyncGenerator<ChunkResult> {
    yield { choices: [{ index: 0, delta: { content: TEXT } }] };
    yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
  },
});

/** A provider whose usage lacks a figure (some OpenAI-compatible servers send `{"prompt_tokens": n}` alone, or a null). */
const partial = definePlugin({
  name: "partial",
  models: [{ id: "partial-usage-model" }],
  chat: async (): Promise<ChatResult> => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: TEXT } }], usage: { prompt_tokens: 5 } as ChatResult["usage"] }),
  async *chatStream(): AsyncGenerator<ChunkResult> {
    yield { choices: [{ index: 0, delta: { content: TEXT } }] };
    yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    yield { choices: [], usage: { prompt_tokens: 5, completion_tokens: null } as unknown as ChunkResult["usage"] };
  },
});

let gw: TestGateway;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  gw = await startTestGateway({}, [silent, partial]);
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "x", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
});
afterAll(() => gw.close());

const messages = [{ role: "user" as const, content: "Say something for me to count, please." }];

test("Chat Completions: the answer's usage, and the stream's usage chunk, are counted, not left out or zero", async () => {
  const completion = await openai.chat.completions.create({ model: "no-usage-model", messages });
  expectOpenAI("CreateChatCompletionResponse", completion);
  expect(completion.usage!.prompt_tokens).toBeGreaterThan(5);
  expect(completion.usage!.completion_tokens).toBeGreaterThan(5);
  expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);

  const stream = await openai.chat.completions.create({ model: "no-usage-model", messages, stream: true, stream_options: { include_usage: true } });
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  expect(usage!.completion_tokens).toBeGreaterThan(5);
  expect(usage!.prompt_tokens).toBe(completion.usage!.prompt_tokens);
});

test("Anthropic Messages: output_tokens is counted, not 0", async () => {
  const message = await anthropic.messages.create({ model: "no-usage-model", max_tokens: 64, messages });
  expect(message.usage.output_tokens).toBeGreaterThan(5);
  expect(message.usage.input_tokens).toBeGreaterThan(5);
});

test("a provider's usage that lacks a figure: the figure it gave, the other estimated; every surface's usage whole (OpenAI's document, Anthropic's integers), streamed or not", async () => {
  const completion = await openai.chat.completions.create({ model: "partial-usage-model", messages });
  expectOpenAI("CreateChatCompletionResponse", completion);
  expect(completion.usage!.prompt_tokens).toBe(5);
  expect(completion.usage!.completion_tokens).toBeGreaterThan(5);
  expect(completion.usage!.total_tokens).toBe(5 + completion.usage!.completion_tokens);
  const stream = await openai.chat.completions.create({ model: "partial-usage-model", messages, stream: true, stream_options: { include_usage: true } });
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: completion.usage!.completion_tokens, total_tokens: 5 + completion.usage!.completion_tokens });

  for (const message of [
    await anthropic.messages.create({ model: "partial-usage-model", max_tokens: 64, messages }),
    await anthropic.messages.stream({ model: "partial-usage-model", max_tokens: 64, messages }).finalMessage(),
  ]) {
    expect(message.usage.input_tokens).toBe(5);
    expect(Number.isInteger(message.usage.output_tokens)).toBe(true);
    expect(message.usage.output_tokens).toBeGreaterThan(5);
  }
});

test("a provider's usage with both counts and no total: the total added, its details kept (a review: they were replaced)", async () => {
  const gw2 = await startTestGateway({}, [
    definePlugin({
      name: "nototal",
      models: [{ id: "no-total-model" }],
      chat: async (): Promise<ChatResult> => ({
        choices: [{ index: 0, finish_reason: "stop", message: { content: TEXT } }],
        usage: { prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } as ChatResult["usage"],
      }),
      async *chatStream(): AsyncGenerator<ChunkResult> {
        yield { choices: [{ index: 0, delta: { content: TEXT }, finish_reason: "stop" }] };
        yield { choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } as ChunkResult["usage"] };
      },
    }),
  ]);
  try {
    const client = new OpenAI({ baseURL: `${gw2.url}/v1`, apiKey: "x", maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: "no-total-model", messages });
    expectOpenAI("CreateChatCompletionResponse", completion);
    expect(completion.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 4 } });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of await client.chat.completions.create({ model: "no-total-model", messages, stream: true, stream_options: { include_usage: true } })) if (chunk.usage) usage = chunk.usage;
    expect(usage).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10, prompt_tokens_details: { cached_tokens: 4 } });
  } finally {
    await gw2.close();
  }
});

test("a provider's partial usage keeps what it said: a completion its total implies, its reasoning count and details (a probe: replaced by the text's estimate)", async () => {
  const gw3 = await startTestGateway({}, [
    definePlugin({
      name: "partial2",
      models: [{ id: "implied-model" }, { id: "reasoned-model" }],
      chat: async (request): Promise<ChatResult> => ({
        choices: [{ index: 0, finish_reason: "stop", message: { content: "hello there my friend" } }],
        usage: (request.model === "implied-model" ? { prompt_tokens: 10, total_tokens: 40 } : { prompt_tokens: 10, completion_tokens_details: { reasoning_tokens: 50 } }) as ChatResult["usage"],
      }),
      async *chatStream(): AsyncGenerator<ChunkResult> {},
    }),
  ]);
  try {
    const client = new OpenAI({ baseURL: `${gw3.url}/v1`, apiKey: "x", maxRetries: 0 });
    const implied = await client.chat.completions.create({ model: "implied-model", messages });
    expectOpenAI("CreateChatCompletionResponse", implied);
    expect(implied.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 30, total_tokens: 40 });
    const reasoned = await client.chat.completions.create({ model: "reasoned-model", messages });
    expect(reasoned.usage!.completion_tokens).toBeGreaterThanOrEqual(50);
    expect(reasoned.usage!.completion_tokens_details).toEqual({ reasoning_tokens: 50 });
    const response = await client.responses.create({ model: "reasoned-model", input: "hi", store: false });
    expect(response.usage!.output_tokens_details.reasoning_tokens).toBe(50);
  } finally {
    await gw3.close();
  }
});

test("Anthropic Messages without the provider's usage: the input_tokens the client is told is what limits, metrics and logs count, streamed or not (a probe: the client read the BPE count, the log four characters a token)", async () => {
  const gw4 = await startTestGateway({ LOG_LEVEL: "info" }, [silent]);
  try {
    const client = new Anthropic({ baseURL: gw4.url, apiKey: "x", maxRetries: 0 });
    // Long words of few letters each: the BPE count and four characters a token differ widely.
    const long = [{ role: "user" as const, content: "a1 b2 c3 d4 e5 f6 g7 h8 i9 j0 ".repeat(40) }];
    const told: number[] = [];
    const plain = await client.messages.create({ model: "no-usage-model", max_tokens: 64, messages: long });
    told.push(plain.usage.input_tokens);
    const stream = client.messages.stream({ model: "no-usage-model", max_tokens: 64, messages: long });
    let started = 0;
    stream.on("streamEvent", (event) => {
      if (event.type === "message_start") started = event.message.usage.input_tokens;
    });
    const final = await stream.finalMessage();
    expect(final.usage.input_tokens).toBe(started);
    told.push(started);
    await Bun.sleep(50);
    const logged = gw4.logs
      .map((line) => JSON.parse(line) as { path?: string; input_tokens?: number })
      .filter((line) => line.path === "/v1/messages")
      .map((line) => line.input_tokens);
    expect(logged).toEqual(told);
  } finally {
    await gw4.close();
  }
});
