// Limits per key in one process (the in-process state): requests and tokens per UTC minute, the
// daily budget, OpenAI's x-ratelimit-* headers and Retry-After; streams count when they end.
import { afterAll, beforeAll, beforeEach, describe, expect, test, setDefaultTimeout } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import dummy from "../../plugins/dummy/index.ts";
import { definePlugin, UpstreamTimeoutError } from "../../src/kit.ts";
import { eventually, writeConfigFile } from "../../plugins/openai-compatible/__fixtures__/test-env.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { expectOpenAI } from "../helpers/openai-schema.ts";
import { awayFromMinuteEnd } from "../helpers/windows.ts";

// A test may first wait up to 8 s for a fresh UTC minute (awayFromMinuteEnd): more than the 5 s default.
setDefaultTimeout(20_000);

/** A provider that answers nothing until its call is given up: what a slow upstream looks like to a client that leaves. */
const hanging = definePlugin({
  name: "hanging",
  models: [{ id: "hanging-model" }],
  chat: (_request, ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
  async *chatStream(_request, ctx) {
    await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
    yield { choices: [] };
  },
});

/**
 * A provider with a time-out of its own (an upstream's `timeout_ms`, shorter than the core's
 * deadline) that it reaches: it gives the call up itself, with the kit's time-out error.
 */
const ownTimeout = definePlugin({
  name: "slowpoke",
  models: [{ id: "slow-model" }],
  timeoutMs: 200,
  chat: () => Bun.sleep(150).then(() => Promise.reject(new UpstreamTimeoutError("The upstream slowpoke did not answer within 150 ms."))),
  async *chatStream() {
    await Bun.sleep(150);
    throw new UpstreamTimeoutError("The upstream slowpoke did not answer within 150 ms.");
  },
});

/** An embedder that says nothing of usage (as some OpenAI-compatible servers answer): its tokens are the gateway's count. */
const quietEmbedder = definePlugin({
  name: "quiet",
  models: [{ id: "quiet-embed" }],
  chat: () => Promise.reject(new Error("embeddings only")),
  async *chatStream() {},
  acceptsTokenIds: true,
  embed: async (input) => ({ embeddings: input.map(() => [0.1, 0.2]) }),
});

let gw: TestGateway;
const KEYS = { rpm: "sk-limit-rpm-0001", tpm: "sk-limit-tpm-0002", day: "sk-limit-day-0003", stream: "sk-limit-stream-04", free: "sk-limit-free-0005", store: "sk-limit-store-0006", embed: "sk-limit-embed-0007", count: "sk-limit-count-0008" };

beforeAll(async () => {
  const config = writeConfigFile({
    keys: [
      { name: "rpm", key_env: "K_RPM", rpm: 3 },
      { name: "tpm", key_env: "K_TPM", tpm: 60 },
      { name: "day", key_env: "K_DAY", tokens_per_day: 10 },
      { name: "stream", key_env: "K_STREAM", tpm: 100_000 },
      { name: "free", key_env: "K_FREE" },
      { name: "store", key_env: "K_STORE", rpm: 3 },
      { name: "embed", key_env: "K_EMBED", tpm: 600 },
      { name: "count", key_env: "K_COUNT", rpm: 2, tokens_per_day: 1 },
    ],
  });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, K_RPM: KEYS.rpm, K_TPM: KEYS.tpm, K_DAY: KEYS.day, K_STREAM: KEYS.stream, K_FREE: KEYS.free, K_STORE: KEYS.store, K_EMBED: KEYS.embed, K_COUNT: KEYS.count }, [dummy, hanging, quietEmbedder, ownTimeout]);
});
afterAll(() => gw.close());

beforeEach(() => awayFromMinuteEnd());

const chat = (key: string, extra: Record<string, unknown> = {}, init: RequestInit = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    ...jsonPost({ model: "dummy-model:1.0", messages: [{ role: "user", content: "hi there" }], max_tokens: 8, ...extra }, { authorization: `Bearer ${key}` }),
    ...init,
  });
const header = (r: Response, name: string) => r.headers.get(name);

/**
 * What is left of KEYS.stream's tpm, each look's own tokens (its usage) added back: a look at a time,
 * so a test can wait for a charge without the looks themselves counting.
 */
function tokensLeft(): () => Promise<number> {
  let looks = 0;
  return async () => {
    const answer = await chat(KEYS.stream, { max_tokens: 1 });
    const left = Number(header(answer, "x-ratelimit-remaining-tokens")) + looks;
    looks += (await json(answer)).usage.total_tokens as number;
    return left;
  };
}


describe("requests per minute", () => {
  test("rpm answers exactly rpm requests, with OpenAI's headers, then 429 with Retry-After", async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await chat(KEYS.rpm));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers.slice(0, 3).map((r) => header(r, "x-ratelimit-remaining-requests"))).toEqual(["2", "1", "0"]);
    for (const r of answers) {
      expect(header(r, "x-ratelimit-limit-requests")).toBe("3");
      expect(header(r, "x-ratelimit-reset-requests")).toMatch(/^(\d+ms|\d+s|1m0s)$/);
      expect(header(r, "x-ratelimit-limit-tokens")).toBeNull(); // no tpm on this key
    }
    const refused = answers[3]!;
    const retryAfter = Number(header(refused, "retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await json(refused);
    expect(body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(body.error.message).toContain("requests per minute (3)");
    expectOpenAI("ErrorResponse", body);
  });

  test("a key without limits carries no rate-limit headers", async () => {
    const r = await chat(KEYS.free);
    expect(r.status).toBe(200);
    expect([...r.headers.keys()].filter((h) => h.startsWith("x-ratelimit"))).toEqual([]);
  });
});

describe("token counting (Anthropic's count_tokens, Responses' input_tokens)", () => {
  test("limited apart from model calls, as Anthropic limits token counting: its own requests per minute at the key's rpm, no token limit, and none of the model calls' requests used", async () => {
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEYS.count, maxRetries: 0 });
    const params = { model: "dummy-model:1.0", messages: [{ role: "user" as const, content: "how many tokens is this?" }] };
    // The daily budget of 1 token is spent by the first call; counting goes on, for it uses no tokens.
    const call = await chat(KEYS.count);
    expect([call.status, header(call, "x-ratelimit-remaining-requests")]).toEqual([200, "1"]);
    const counted = await anthropic.messages.countTokens(params).withResponse();
    expect(counted.data.input_tokens).toBeGreaterThan(0);
    expect(counted.response.headers.get("x-ratelimit-remaining-requests")).toBe("1"); // its own counter
    const inputTokens = await fetch(`${gw.url}/v1/responses/input_tokens`, jsonPost({ model: "dummy-model:1.0", input: "hi" }, { authorization: `Bearer ${KEYS.count}` }));
    expect([inputTokens.status, header(inputTokens, "x-ratelimit-remaining-requests")]).toEqual([200, "0"]);
    // Past its own rpm, counting is refused: 429 in Anthropic's envelope, naming what was limited.
    const refused = await anthropic.messages.countTokens(params).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect(String((refused as Error).message)).toContain("token counting requests per minute (2)");
    // The model calls' counter was untouched by the counts; the spent budget refuses the next call.
    const next = await chat(KEYS.count);
    expect(next.status).toBe(429);
    expect((await json(next)).error).toMatchObject({ code: "insufficient_quota" });
  });
});

describe("what a key stores without a model call", () => {
  test("conversations made, added to or updated count against the key's rpm, with OpenAI's headers; past it, 429 (reads are not counted)", async () => {
    const as = { authorization: `Bearer ${KEYS.store}` };
    const made = await fetch(`${gw.url}/v1/conversations`, jsonPost({ items: [{ role: "user", content: "hi" }] }, as));
    expect(made.status).toBe(200);
    expect(header(made, "x-ratelimit-remaining-requests")).toBe("2");
    const id = (await json(made)).id as string;
    expect((await fetch(`${gw.url}/v1/conversations/${id}`, { headers: as })).status).toBe(200); // a read: not counted
    const added = await fetch(`${gw.url}/v1/conversations/${id}/items`, jsonPost({ items: [{ role: "user", content: "more" }] }, as));
    expect([added.status, header(added, "x-ratelimit-remaining-requests")]).toEqual([200, "1"]);
    const updated = await fetch(`${gw.url}/v1/conversations/${id}`, jsonPost({ metadata: { k: "v" } }, as));
    expect([updated.status, header(updated, "x-ratelimit-remaining-requests")]).toEqual([200, "0"]);
    const refused = await fetch(`${gw.url}/v1/conversations`, jsonPost({}, as));
    expect(refused.status).toBe(429);
    expect(Number(header(refused, "retry-after"))).toBeGreaterThan(0);
    const error = await json(refused);
    expectOpenAI("ErrorResponse", error);
    expect(error.error).toMatchObject({ code: "rate_limit_exceeded" });
    // The model calls of the key are refused too: one budget.
    expect((await chat(KEYS.store)).status).toBe(429);
  });
});

describe("tokens", () => {
  test("tpm counts input + output from the answer's usage; once spent, 429 rate_limit_exceeded", async () => {
    const first = await chat(KEYS.tpm);
    expect(header(first, "x-ratelimit-remaining-tokens")).toBe("60");
    const used = (await json(first)).usage.total_tokens as number;
    expect(used).toBeGreaterThan(0);
    let spent = used;
    let answer = await chat(KEYS.tpm);
    while (answer.status === 200) {
      expect(Number(header(answer, "x-ratelimit-remaining-tokens"))).toBe(Math.max(0, 60 - spent));
      spent += (await json(answer)).usage.total_tokens as number;
      answer = await chat(KEYS.tpm);
    }
    expect(spent).toBeGreaterThanOrEqual(60);
    expect(answer.status).toBe(429);
    expect(header(answer, "x-ratelimit-remaining-tokens")).toBe("0");
    const body = await json(answer);
    expect(body.error.code).toBe("rate_limit_exceeded");
    expect(body.error.message).toContain("tokens per minute (60)");
  });

  test("embeddings from a provider that gives no usage are charged their input (text estimated, token ids counted), on both surfaces: tpm holds", async () => {
    const embed = (input: unknown, path = "/v1/embeddings") =>
      fetch(`${gw.url}${path}`, jsonPost({ model: "quiet/quiet-embed", input }, { authorization: `Bearer ${KEYS.embed}` }));
    const first = await embed("x".repeat(1600)); // ~400 tokens
    expect(first.status).toBe(200);
    expect((await json(first)).usage).toEqual({ prompt_tokens: 400, total_tokens: 400 });
    expect(header(first, "x-ratelimit-remaining-tokens")).toBe("600"); // checked before the call: 600 left then
    const ids = await embed([[1, 2, 3], [4, 5]]);
    expect((await json(ids)).usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    const ollama = await embed("y".repeat(800), "/api/embed"); // ~200 more: 605 of 600 spent
    expect(ollama.status).toBe(200);
    expect((await json(ollama)).prompt_eval_count).toBe(200);
    const refused = await embed("z");
    expect(refused.status).toBe(429);
    expectOpenAI("ErrorResponse", await refused.json());
  });

  test("tokens_per_day: once spent, 429 insufficient_quota with Retry-After until the next UTC midnight at most", async () => {
    const first = await chat(KEYS.day, { max_tokens: 40 }); // 0 used before it: admitted, and it may overshoot
    expect(first.status).toBe(200);
    expect((await json(first)).usage.total_tokens).toBeGreaterThan(10);
    const refused = await chat(KEYS.day);
    expect(refused.status).toBe(429);
    const body = await json(refused);
    expect(body.error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expectOpenAI("ErrorResponse", body);
    const retryAfter = Number(header(refused, "retry-after"));
    const toMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(toMidnight + 1);
  });

  test("a stream's tokens count when it ends: the usage chunk's figures", async () => {
    const first = await chat(KEYS.stream, { max_tokens: 1 });
    const remaining = Number(header(first, "x-ratelimit-remaining-tokens"));
    const firstUsed = (await json(first)).usage.total_tokens as number;
    const streamed = await chat(KEYS.stream, { stream: true, stream_options: { include_usage: true }, max_tokens: 20 });
    expect(Number(header(streamed, "x-ratelimit-remaining-tokens"))).toBe(remaining - firstUsed);
    const events = (await streamed.text()).split("\n\n").filter((e) => e.includes('"usage":{'));
    const streamUsed = JSON.parse(events.at(-1)!.slice(6)).usage.total_tokens as number;
    expect(streamUsed).toBeGreaterThan(0);
    // Settled before the stream's last event was written: the next request sees it.
    const next = await chat(KEYS.stream, { max_tokens: 1 });
    expect(Number(header(next, "x-ratelimit-remaining-tokens"))).toBe(remaining - firstUsed - streamUsed);
  });

  test("a client that leaves a stream early still pays for what it got", async () => {
    const start = Number(header(await chat(KEYS.stream, { max_tokens: 1 }), "x-ratelimit-remaining-tokens"));
    const controller = new AbortController();
    const response = await chat(KEYS.stream, { stream: true, max_tokens: 4000 }, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => undefined);
    // Settled on the server once it sees the client gone.
    await eventually(async () => Number(header(await chat(KEYS.stream, { max_tokens: 1 }), "x-ratelimit-remaining-tokens")) < start - 20);
  });

  test("a client that leaves before the answer still pays for its input, streamed or not", async () => {
    const remaining = tokensLeft();
    // ~1,000 characters: ~250 tokens by the gateway's estimate, read by a provider that never answered.
    const long = "lorem ipsum ".repeat(84);
    for (const stream of [false, true]) {
      const start = await remaining();
      const controller = new AbortController();
      const asked = chat(KEYS.stream, { model: "hanging-model", messages: [{ role: "user", content: long }], stream }, { signal: controller.signal });
      await Bun.sleep(150);
      controller.abort();
      await asked.catch(() => undefined);
      await eventually(async () => (await remaining()) < start - 200);
    }
  });

  test("a call its provider gave up on its own clock (an upstream's timeout_ms) pays for its input too, streamed or not (a probe: it paid nothing)", async () => {
    const remaining = tokensLeft();
    const long = "lorem ipsum ".repeat(84);
    for (const stream of [false, true]) {
      const start = await remaining();
      const answer = await chat(KEYS.stream, { model: "slow-model", messages: [{ role: "user", content: long }], stream });
      expect(answer.status).toBe(504);
      await eventually(async () => (await remaining()) < start - 200);
    }
  });
});
