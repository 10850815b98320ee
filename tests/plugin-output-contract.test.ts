// A plugin that breaks the output contract in a way its types would have caught (an untyped `.js`
// plugin): tool-call `arguments` as an object, not JSON text. Every surface answers the provider's
// 502 (or its stream's error event), not a 500 of its own or `"[object Object]"` on the wire (a probe).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, type ChunkResult } from "../src/kit.ts";
import { json, jsonPost, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const call = { id: "call_1", type: "function", function: { name: "look", arguments: { city: "Paris" } } };
const broken = definePlugin({
  name: "broken",
  models: [{ id: "broken-model" }],
  async chat() {
    return { choices: [{ index: 0, finish_reason: "tool_calls", message: { content: null, tool_calls: [call] } }] } as never;
  },
  async *chatStream(): AsyncGenerator<ChunkResult> {
    yield { choices: [{ index: 0, delta: { content: "Let me look." } }] };
    yield { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, ...call }] } }] } as never;
    yield { choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] };
  },
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({}, [dummy, broken]);
});
afterAll(() => gw.close());

const tools = [{ type: "function", function: { name: "look", parameters: { type: "object", properties: {} } } }];
const hi = [{ role: "user", content: "hi" }];

describe("tool-call arguments that are not text", () => {
  test("non-streamed: 502 in each surface's envelope (Chat Completions, Responses, Messages, Ollama)", async () => {
    const asked = [
      ["/v1/chat/completions", { model: "broken-model", messages: hi, tools }],
      ["/v1/responses", { model: "broken-model", input: "hi", tools: [{ type: "function", name: "look", parameters: { type: "object", properties: {} } }] }],
      ["/v1/messages", { model: "broken-model", max_tokens: 50, messages: hi, tools: [{ name: "look", input_schema: { type: "object" } }] }],
      ["/api/chat", { model: "broken-model", messages: hi, tools, stream: false }],
    ] as const;
    for (const [path, body] of asked) {
      const response = await fetch(`${gw.url}${path}`, jsonPost(body));
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 502]);
      expect(text).toContain("arguments are not JSON text");
      expect(text).not.toContain("internal_error");
    }
  });

  test("streamed: the text so far, then the surface's error event; never [object Object]", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "broken-model", messages: hi, tools, stream: true }));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("Let me look.");
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain("[object Object]");
    const messages = await (await fetch(`${gw.url}/v1/messages`, jsonPost({ model: "broken-model", max_tokens: 50, messages: hi, stream: true, tools: [{ name: "look", input_schema: { type: "object" } }] }))).text();
    expect(messages).toContain("event: error");
    expect(messages).not.toContain("[object Object]");
  });
});

/*
 * The rest of the output contract (plugin-output.ts), from a plugin that breaks it one way per
 * model: the answer's text, finish reasons, choices and tool-call names; a stream's deltas, finishes
 * and tool calls; a token count; embeddings and their usage. A probe found each reaching clients.
 */
const text = (content: unknown) => ({ choices: [{ index: 0, delta: { content } }] });
const finish = (reason: unknown) => ({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });
const answer = (choice: Record<string, unknown>) => ({ choices: [{ index: 0, finish_reason: "stop", message: { content: "Hi." }, ...choice }] });

/** Non-streamed answers, by model. */
const answers: Record<string, unknown> = {
  "content-number": answer({ message: { content: 42 } }),
  "finish-unknown": answer({ finish_reason: "banana" }),
  "finish-missing": answer({ finish_reason: undefined }),
  "two-choices": { choices: [answer({}).choices[0], { ...answer({}).choices[0], index: 1 }] },
  "index-out-of-range": answer({ index: 3 }),
  "call-without-name": answer({ finish_reason: "tool_calls", message: { content: null, tool_calls: [{ id: "call_1", type: "function", function: { arguments: "{}" } }] } }),
};

/** Streams, by model: the batches yielded. */
const streams: Record<string, unknown[][]> = {
  "content-number": [[text("Let me look.")], [text(42)], [finish("stop")]],
  "finish-unknown": [[text("Let me look.")], [finish("banana")]],
  "finish-twice": [[text("Let me look.")], [finish("stop")], [finish("stop")]],
  "after-finish": [[text("Let me look.")], [finish("stop")], [text("And more.")]],
  "call-without-name": [[text("Let me look.")], [{ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", function: { arguments: "{}" } }] } }] }], [finish("tool_calls")]],
  // In one batch: the text before the broken chunk is still the client's.
  "bad-in-batch": [[text("Let me look.")], [text(" Go on."), text(42), finish("stop")]],
  // Before the answer begins: an HTTP 502, no stream.
  "first-bad": [[{ choices: [{ index: 0, delta: { role: "assistant" } }] }], [text(42)]],
  "index-out-of-range": [[{ choices: [{ index: 1, delta: { content: "Hi." } }] }], [finish("stop")]],
};

const counts: Record<string, unknown> = { "count-many": "many", "count-negative": -5, "count-huge": 1e300, "count-fraction": 12.7 };

/** Embeddings, by model (`input` of two texts unless said). */
const vectors: Record<string, (inputs: number) => unknown> = {
  "embed-nan": (n) => ({ embeddings: Array.from({ length: n }, () => [Number.NaN, 0.5]) }),
  "embed-string": (n) => ({ embeddings: Array.from({ length: n }, () => ["0.25", 0.5]) }),
  "embed-ragged": (n) => ({ embeddings: Array.from({ length: n }, (_, i) => (i === 0 ? [0.25, 0.5] : [0.25])) }),
  "embed-usage": (n) => ({ embeddings: Array.from({ length: n }, () => [0.25, 0.5]), usage: { prompt_tokens: -5, total_tokens: 1e300 } }),
  "embed-total": (n) => ({ embeddings: Array.from({ length: n }, () => [0.25, 0.5]), usage: { prompt_tokens: 7, total_tokens: -1 } }),
};

const models = [...new Set([...Object.keys(answers), ...Object.keys(streams), ...Object.keys(counts), ...Object.keys(vectors), "two-choices-ok"])];
const rulebreaker = definePlugin({
  name: "rulebreaker",
  models: models.map((id) => ({ id })),
  maxN: 2,
  async chat(request, ctx) {
    if (ctx.model === "two-choices-ok") return answers["two-choices"] as never;
    return (answers[ctx.model] ?? answer({})) as never;
  },
  async *chatStream(request, ctx): AsyncGenerator<ChunkResult[]> {
    for (const batch of streams[ctx.model] ?? [[text("Hi.")], [finish("stop")]]) yield batch as never;
  },
  async countTokens(request, ctx) {
    return (counts[ctx.model] ?? 3) as never;
  },
  async embed(input, request, ctx) {
    return (vectors[ctx.model] ?? vectors["embed-usage"]!)(input.length) as never;
  },
});

let rules: TestGateway;
beforeAll(async () => {
  rules = await startTestGateway({}, [rulebreaker]);
});
afterAll(() => rules.close());

/** One request per surface for `model`, streamed or not (tools offered, as the probe's were). */
const surfaces = (model: string, stream: boolean) =>
  [
    ["/v1/chat/completions", { model, messages: hi, tools, stream }],
    ["/v1/responses", { model, input: "hi", stream, tools: [{ type: "function", name: "look", parameters: { type: "object", properties: {} } }] }],
    ["/v1/messages", { model, max_tokens: 50, messages: hi, stream, tools: [{ name: "look", input_schema: { type: "object" } }] }],
    ["/api/chat", { model, messages: hi, tools, stream }],
  ] as const;

/** The stream's error event in each surface's form (Responses' `response.failed`, Anthropic's `error`, Ollama's `{"error"}` line). */
const errorEvent: Record<string, string> = {
  "/v1/chat/completions": '"code":"upstream_error"',
  "/v1/responses": "event: response.failed",
  "/v1/messages": "event: error",
  "/api/chat": '{"error":"The provider rulebreaker',
};

describe("a complete answer that breaks the contract: the provider's 502 on every surface (never a 500)", () => {
  test.each([
    ["content-number", "a message whose `content` is number, not text"],
    ["finish-unknown", "the finish reason 'banana'"],
    ["two-choices", "2 choices for a request of n = 1"],
    ["index-out-of-range", "a choice with index 3 for a request of n = 1"],
    ["call-without-name", "a tool call without a function name"],
  ])("%s", async (model, said) => {
    for (const [path, body] of surfaces(model, false)) {
      const response = await rules.handle(path, jsonPost(body));
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 502]);
      expect(text).toContain(`The provider rulebreaker returned ${said}`);
      expect(text).not.toContain("internal_error");
    }
  });

  test("no finish reason: `stop`, as a stream without one ends (Chat Completions says it; the others answer as ended)", async () => {
    for (const [path, body] of surfaces("finish-missing", false)) expect([path, (await rules.handle(path, jsonPost(body))).status]).toEqual([path, 200]);
    const chat = await json(rules.handle("/v1/chat/completions", jsonPost({ model: "finish-missing", messages: hi })));
    expect(chat.choices[0].finish_reason).toBe("stop");
  });

  test("as many choices as `n` asked for is the answer", async () => {
    const chat = await json(rules.handle("/v1/chat/completions", jsonPost({ model: "two-choices-ok", messages: hi, n: 2 })));
    expect(chat.choices.map((c: { index: number }) => c.index)).toEqual([0, 1]);
  });
});

describe("a stream that breaks the contract: the text so far, then each surface's error event", () => {
  test.each([
    ["content-number", "a delta whose `content` is number, not text"],
    ["finish-unknown", "the finish reason 'banana'"],
    ["finish-twice", "a second finish reason for choice 0"],
    ["after-finish", "more of choice 0's answer after its finish reason"],
    ["call-without-name", "a tool call that began without a function name"],
    ["bad-in-batch", "a delta whose `content` is number, not text"],
  ])("%s", async (model, said) => {
    for (const [path, body] of surfaces(model, true)) {
      const response = await rules.handle(path, jsonPost(body));
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 200]);
      expect([path, text.includes("Let me look.")]).toEqual([path, true]);
      expect([path, text.includes(errorEvent[path]!)]).toEqual([path, true]);
      expect(text).toContain(`The provider rulebreaker returned ${said}`);
      expect(text).not.toContain("And more.");
      if (model === "bad-in-batch") expect([path, text.includes("Go on.")]).toEqual([path, true]);
    }
  });

  test.each([
    ["first-bad", "a delta whose `content` is number, not text"],
    ["index-out-of-range", "a stream choice with index 1 for a request of n = 1"],
  ])("%s, before the answer begins: an HTTP 502, no stream", async (model, said) => {
    for (const [path, body] of surfaces(model, true)) {
      const response = await rules.handle(path, jsonPost(body));
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 502]);
      expect(text).toContain(`The provider rulebreaker returned ${said}`);
    }
  });
});

describe("a token count that is no count: the gateway's estimate stands, as for a usage figure", () => {
  test.each(Object.keys(counts))("%s", async (model) => {
    const body = await json(rules.handle("/v1/messages/count_tokens", jsonPost({ model, messages: hi })));
    if (model === "count-fraction") expect(body).toEqual({ input_tokens: 12 });
    else {
      expect(Number.isInteger(body.input_tokens)).toBe(true);
      expect(body.input_tokens).toBeGreaterThan(0);
      expect(body.input_tokens).toBeLessThan(100);
    }
  });
});

describe("embeddings that break the contract", () => {
  test.each([
    ["embed-nan", "an embedding (input 0) holding NaN"],
    ["embed-string", "an embedding (input 0) holding string"],
    ["embed-ragged", "embeddings of 2 and 1 dimensions"],
  ])("%s: the provider's 502 on each embeddings route", async (model, said) => {
    const asked = [
      ["/v1/embeddings", { model, input: ["hi", "there"] }],
      ["/api/embed", { model, input: ["hi", "there"] }],
      ["/api/embeddings", { model, prompt: "hi" }],
    ] as const;
    for (const [path, body] of asked) {
      if (model === "embed-ragged" && path === "/api/embeddings") continue; // one vector has one length
      const response = await rules.handle(path, jsonPost(body));
      const text = await response.text();
      expect([path, response.status]).toEqual([path, 502]);
      expect(text).toContain(`The provider rulebreaker returned ${said}`);
    }
  });

  test("usage that is no count: the client is told the gateway's count, not the plugin's figures", async () => {
    const openai = await json(rules.handle("/v1/embeddings", jsonPost({ model: "embed-usage", input: ["hi", "there"] })));
    expect(openai.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 }); // seven characters, four a token
    const ollama = await json(rules.handle("/api/embed", jsonPost({ model: "embed-usage", input: ["hi", "there"] })));
    expect(ollama.prompt_eval_count).toBe(2);
    const total = await json(rules.handle("/v1/embeddings", jsonPost({ model: "embed-total", input: ["hi", "there"] })));
    expect(total.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
  });
});
