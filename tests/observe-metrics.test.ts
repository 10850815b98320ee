import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import { definePlugin, UpstreamError, UpstreamUnavailableError, type ChunkResult } from "../src/kit.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";
import { scrape, type Scrape } from "./helpers/prometheus.ts";

/** Lets the held model's stream end (it waits after its first chunk). */
let release: () => void = () => undefined;

/** A provider whose upstream is down (chat) or answers garbage (embeddings), fails mid-stream, or holds its stream open. */
const broken = definePlugin({
  name: "broken",
  models: [{ id: "broken-model" }, { id: "midstream-model" }, { id: "midstream-overloaded-model" }, { id: "held-model" }],
  async chat() {
    throw new UpstreamUnavailableError("The upstream at http://127.0.0.1:9 is unreachable.");
  },
  async *chatStream(request): AsyncGenerator<ChunkResult> {
    if (request.model === "held-model") {
      yield { choices: [{ index: 0, delta: { content: "wait" } }] };
      await new Promise<void>((resolve) => (release = resolve));
      yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
      return;
    }
    if (request.model !== "midstream-model" && request.model !== "midstream-overloaded-model") throw new UpstreamUnavailableError("The upstream at http://127.0.0.1:9 is unreachable.");
    yield { choices: [{ index: 0, delta: { content: "Hel" } }] };
    if (request.model === "midstream-overloaded-model") throw Object.assign(new UpstreamError("The upstream openai is overloaded (HTTP 529): Overloaded"), { overloaded: true });
    throw new UpstreamError("The upstream sent garbage.");
  },
  async embed() {
    throw new UpstreamError("The upstream sent garbage.");
  },
});

let gw: TestGateway;
let client: OpenAI;
let anthropic: Anthropic;
let ollama: Ollama;
beforeAll(async () => {
  gw = await startTestGateway({ LOG_LEVEL: "info" }, [dummy, broken]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: "unused", maxRetries: 0 });
  ollama = new Ollama({ host: gw.url });
});
afterAll(() => gw.close());

/** What one request should have added to the metrics. */
interface Expected {
  status: number;
  model: string;
  provider: string;
  /** Usage as the answer reported it (0/0 when it failed before any). */
  input: number;
  output: number;
  /** The error code an upstream failure is counted under. */
  upstreamError?: string;
  streamed?: boolean;
  /** `gen_ai_operation_name` when it is not `chat` (embeddings, Ollama's generate). */
  operation?: string;
  /** The figures are the gateway's estimate (the provider reported none): the log line says so, and gen_ai_client_token_usage leaves them out. */
  estimated?: boolean;
}

const statusOf = (error: unknown) =>
  error instanceof OpenAI.APIError || error instanceof Anthropic.APIError ? error.status : (error as { status_code?: number }).status_code;

/** The gateway's own estimate of a stream that failed mid-way (the provider sent no usage): its log line. */
const lastLogged = () => gw.logs.map((l) => JSON.parse(l)).findLast((l) => l.msg === "request");

const chatMessages = [{ role: "user" as const, content: "Count the tokens of this question, please." }];

/**
 * One row per (surface, case): `run` makes the request with the surface's official client and says
 * what the answer reported. Other surfaces add their rows here with their own clients.
 */
const CASES: { surface: "chat" | "responses" | "messages" | "ollama" | "embeddings"; name: string; run: () => Promise<Expected> }[] = [
  {
    surface: "chat",
    name: "answered",
    run: async () => {
      const answer = await client.chat.completions.create({ model: "dummy-model:1.0", messages: chatMessages, seed: 1 });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.usage!.prompt_tokens, output: answer.usage!.completion_tokens };
    },
  },
  {
    surface: "chat",
    name: "streamed",
    run: async () => {
      const stream = await client.chat.completions.create({ model: "dummy-model:1.0", messages: chatMessages, seed: 2, stream: true, stream_options: { include_usage: true } });
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) usage = chunk.usage ?? usage;
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: usage!.prompt_tokens, output: usage!.completion_tokens, streamed: true };
    },
  },
  {
    surface: "chat",
    name: "upstream down",
    run: async () => {
      const status = await client.chat.completions.create({ model: "broken-model", messages: chatMessages }).then(() => 200, statusOf);
      return { status: status!, model: "broken-model", provider: "broken", input: 0, output: 0, upstreamError: "upstream_unavailable" };
    },
  },
  {
    surface: "chat",
    name: "streamed, upstream down before the first chunk",
    run: async () => {
      const status = await client.chat.completions.create({ model: "broken-model", messages: chatMessages, stream: true }).then(() => 200, statusOf);
      return { status: status!, model: "broken-model", provider: "broken", input: 0, output: 0, upstreamError: "upstream_unavailable" };
    },
  },
  {
    surface: "chat",
    name: "streamed, upstream fails mid-stream",
    run: async () => {
      const stream = await client.chat.completions.create({ model: "midstream-model", messages: chatMessages, stream: true });
      let text = "";
      const failed = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      })().then(() => false, () => true);
      expect(failed).toBe(true);
      expect(text).toBe("Hel");
      // Usage is the gateway's estimate here (the provider sent none): read it from the log line.
      const line = gw.logs.map((l) => JSON.parse(l)).findLast((l) => l.msg === "request");
      return { status: 502, model: "midstream-model", provider: "broken", input: line.input_tokens, output: line.output_tokens, estimated: line.tokens_estimated, upstreamError: "upstream_error", streamed: true };
    },
  },
  {
    surface: "chat",
    name: "unknown model (counted as model=\"\")",
    run: async () => {
      const status = await client.chat.completions.create({ model: "no-such-model-4711", messages: chatMessages }).then(() => 200, statusOf);
      return { status: status!, model: "", provider: "", input: 0, output: 0 };
    },
  },
  {
    surface: "embeddings",
    name: "answered",
    run: async () => {
      const answer = await client.embeddings.create({ model: "dummy-model:1.0", input: ["one two three", "four"] });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.usage.prompt_tokens, output: 0 };
    },
  },
  {
    surface: "embeddings",
    name: "upstream garbage",
    run: async () => {
      const status = await client.embeddings.create({ model: "broken-model", input: "x" }).then(() => 200, statusOf);
      return { status: status!, model: "broken-model", provider: "broken", input: 0, output: 0, upstreamError: "upstream_error" };
    },
  },
  {
    surface: "responses",
    name: "answered",
    run: async () => {
      const answer = await client.responses.create({ model: "dummy-model:1.0", input: chatMessages[0]!.content });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.usage!.input_tokens, output: answer.usage!.output_tokens };
    },
  },
  {
    surface: "responses",
    name: "streamed",
    run: async () => {
      const stream = await client.responses.create({ model: "dummy-model:1.0", input: chatMessages[0]!.content, stream: true });
      let usage: OpenAI.Responses.ResponseUsage | undefined;
      for await (const event of stream) if (event.type === "response.completed") usage = event.response.usage;
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: usage!.input_tokens, output: usage!.output_tokens, streamed: true };
    },
  },
  {
    surface: "responses",
    name: "upstream down",
    run: async () => {
      const status = await client.responses.create({ model: "broken-model", input: "hi" }).then(() => 200, statusOf);
      return { status: status!, model: "broken-model", provider: "broken", input: 0, output: 0, upstreamError: "upstream_unavailable" };
    },
  },
  {
    surface: "responses",
    name: "streamed, upstream fails mid-stream",
    run: async () => {
      const stream = await client.responses.create({ model: "midstream-model", input: "hi", stream: true });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types.at(-1)).toBe("response.failed");
      const line = lastLogged();
      return { status: 502, model: "midstream-model", provider: "broken", input: line.input_tokens, output: line.output_tokens, estimated: line.tokens_estimated, upstreamError: "upstream_error", streamed: true };
    },
  },
  {
    surface: "messages",
    name: "answered",
    run: async () => {
      const answer = await anthropic.messages.create({ model: "dummy-model:1.0", max_tokens: 64, messages: chatMessages });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.usage.input_tokens, output: answer.usage.output_tokens };
    },
  },
  {
    surface: "messages",
    name: "streamed",
    run: async () => {
      const stream = await anthropic.messages.create({ model: "dummy-model:1.0", max_tokens: 64, messages: chatMessages, stream: true });
      let input = -1;
      let output = -1;
      for await (const event of stream) {
        if (event.type === "message_start") input = event.message.usage.input_tokens;
        // message_delta's usage is the final count (the provider's, once it reported one).
        if (event.type === "message_delta") {
          output = event.usage.output_tokens;
          input = event.usage.input_tokens ?? input;
        }
      }
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input, output, streamed: true };
    },
  },
  {
    surface: "messages",
    name: "upstream down (Anthropic's 529)",
    run: async () => {
      const status = await anthropic.messages.create({ model: "broken-model", max_tokens: 16, messages: chatMessages }).then(() => 200, statusOf);
      expect(status).toBe(529);
      return { status: 529, model: "broken-model", provider: "broken", input: 0, output: 0, upstreamError: "upstream_unavailable" };
    },
  },
  {
    surface: "messages",
    name: "streamed, upstream fails mid-stream",
    run: async () => {
      const stream = await anthropic.messages.create({ model: "midstream-model", max_tokens: 16, messages: chatMessages, stream: true });
      const failed = await (async () => {
        for await (const _ of stream);
      })().then(() => false, () => true);
      expect(failed).toBe(true);
      const line = lastLogged();
      return { status: 502, model: "midstream-model", provider: "broken", input: line.input_tokens, output: line.output_tokens, estimated: line.tokens_estimated, upstreamError: "upstream_error", streamed: true };
    },
  },
  {
    surface: "messages",
    name: "streamed, upstream overloaded mid-stream (Anthropic's 529, as its error event says)",
    run: async () => {
      const stream = await anthropic.messages.create({ model: "midstream-overloaded-model", max_tokens: 16, messages: chatMessages, stream: true });
      const failure = await (async () => {
        for await (const _ of stream);
      })().then(() => undefined, (error: unknown) => error);
      expect((failure as { error?: { error?: { type?: string } } }).error?.error?.type).toBe("overloaded_error");
      const line = lastLogged();
      expect(line.status).toBe(529);
      return { status: 529, model: "midstream-overloaded-model", provider: "broken", input: line.input_tokens, output: line.output_tokens, estimated: line.tokens_estimated, upstreamError: "upstream_error", streamed: true };
    },
  },
  {
    surface: "ollama",
    name: "chat answered",
    run: async () => {
      const answer = await ollama.chat({ model: "dummy-model:1.0", messages: chatMessages, stream: false });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.prompt_eval_count, output: answer.eval_count };
    },
  },
  {
    surface: "ollama",
    name: "chat streamed",
    run: async () => {
      const stream = await ollama.chat({ model: "dummy-model:1.0", messages: chatMessages, stream: true });
      let last: { prompt_eval_count: number; eval_count: number } | undefined;
      for await (const part of stream) if (part.done) last = part;
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: last!.prompt_eval_count, output: last!.eval_count, streamed: true };
    },
  },
  {
    surface: "ollama",
    name: "generate answered (text_completion)",
    run: async () => {
      const answer = await ollama.generate({ model: "dummy-model:1.0", prompt: chatMessages[0]!.content, stream: false });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.prompt_eval_count, output: answer.eval_count, operation: "text_completion" };
    },
  },
  {
    surface: "ollama",
    name: "embed answered (embeddings)",
    run: async () => {
      const answer = await ollama.embed({ model: "dummy-model:1.0", input: ["one two three", "four"] });
      return { status: 200, model: "dummy-model:1.0", provider: "dummy", input: answer.prompt_eval_count, output: 0, operation: "embeddings" };
    },
  },
  {
    surface: "ollama",
    name: "chat, upstream down",
    run: async () => {
      const status = await ollama.chat({ model: "broken-model", messages: chatMessages, stream: false }).then(() => 200, statusOf);
      return { status: status!, model: "broken-model", provider: "broken", input: 0, output: 0, upstreamError: "upstream_unavailable" };
    },
  },
  {
    surface: "ollama",
    name: "chat streamed, upstream fails mid-stream",
    run: async () => {
      const stream = await ollama.chat({ model: "midstream-model", messages: chatMessages, stream: true });
      const failed = await (async () => {
        for await (const _ of stream);
      })().then(() => false, () => true);
      expect(failed).toBe(true);
      const line = lastLogged();
      return { status: 502, model: "midstream-model", provider: "broken", input: line.input_tokens, output: line.output_tokens, estimated: line.tokens_estimated, upstreamError: "upstream_error", streamed: true };
    },
  },
];

const delta = (after: Scrape, before: Scrape, name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
const histogramDelta = (after: Scrape, before: Scrape, name: string, labels: Record<string, string>) => {
  const a = after.histogram(name, labels);
  const b = before.histogram(name, labels);
  return { count: a.count - b.count, sum: a.sum - b.sum };
};

describe("GET /metrics after real requests", () => {
  test.each(CASES.map((c) => [`${c.surface}: ${c.name}`, c] as const))("%s", async (_, c) => {
    const before = await scrape(gw.url);
    const e = await c.run();
    const after = await scrape(gw.url);
    const series = { surface: c.surface, model: e.model, provider: e.provider };

    // Exactly one request, counted under the right labels.
    expect(delta(after, before, "ollaix_requests_total")).toBe(1);
    expect(delta(after, before, "ollaix_requests_total", { ...series, key: "", status: String(e.status) })).toBe(1);
    expect(histogramDelta(after, before, "ollaix_request_duration_seconds", series).count).toBe(1);
    expect(histogramDelta(after, before, "ollaix_overhead_seconds", series).count).toBe(1);
    expect(histogramDelta(after, before, "ollaix_time_to_first_token_seconds", series).count).toBe(e.streamed ? 1 : 0);
    expect(after.value("ollaix_in_flight_requests")).toBe(0);

    // Tokens: the answer's usage, in both the ollaix_* counter and the GenAI histogram.
    expect(delta(after, before, "ollaix_tokens_total", { ...series, type: "input" })).toBe(e.input);
    expect(delta(after, before, "ollaix_tokens_total", { ...series, type: "output" })).toBe(e.output);
    const operation = e.operation ?? (c.surface === "embeddings" ? "embeddings" : "chat");
    const genAi = { gen_ai_operation_name: operation, gen_ai_provider_name: e.provider, gen_ai_request_model: e.model };
    // The conventions' token usage is the provider's count, never the gateway's estimate.
    const counted = e.estimated === true ? 0 : 1;
    expect(histogramDelta(after, before, "gen_ai_client_token_usage", { ...genAi, gen_ai_token_type: "input" }).sum).toBe(counted * e.input);
    expect(histogramDelta(after, before, "gen_ai_client_token_usage", { ...genAi, gen_ai_token_type: "output" }).sum).toBe(counted * e.output);
    // A request refused before any provider (an unknown model) is no GenAI operation.
    expect(histogramDelta(after, before, "gen_ai_server_request_duration_seconds", genAi).count).toBe(e.provider === "" ? 0 : 1);
    // The GenAI conventions' time to first token counts successful responses only; ollaix_'s every stream that began.
    expect(histogramDelta(after, before, "gen_ai_server_time_to_first_token_seconds", genAi).count).toBe(e.streamed && e.status === 200 ? 1 : 0);

    // Failures of the provider, by provider and code; nothing else counts as one.
    expect(delta(after, before, "ollaix_upstream_errors_total")).toBe(e.upstreamError ? 1 : 0);
    if (e.upstreamError) expect(delta(after, before, "ollaix_upstream_errors_total", { provider: e.provider, code: e.upstreamError })).toBe(1);
    if (e.status !== 200) {
      expect(histogramDelta(after, before, "gen_ai_server_request_duration_seconds", { ...genAi, error_type: "" }).count).toBe(0);
    }
  });

  test("only model calls are counted: a stored response's GET, cancel, delete or input items, a conversation and Ollama's model list are none, failing or not", async () => {
    const stored = await client.responses.create({ model: "dummy-model:1.0", input: "Hello" });
    const before = await scrape(gw.url);
    const calls: [string, RequestInit?][] = [
      [`/v1/responses/${stored.id}`],
      ["/v1/responses/resp_0123456789abcdef01234567"], // 404
      [`/v1/responses/${stored.id}/input_items`],
      [`/v1/responses/${stored.id}/cancel`, { method: "POST" }], // 400: a synchronous response
      ["/v1/conversations/conv_missing"], // 404
      ["/api/tags"],
      ["/api/show", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "no-such-model-4711" }) }], // 404
      [`/v1/responses/${stored.id}`, { method: "DELETE" }],
    ];
    const statuses: number[] = [];
    for (const [path, init] of calls) statuses.push((await fetch(`${gw.url}${path}`, init)).status);
    expect(statuses).toEqual([200, 404, 200, 400, 404, 200, 404, 200]);
    const after = await scrape(gw.url);
    expect(delta(after, before, "ollaix_requests_total")).toBe(0);
    expect(histogramDelta(after, before, "gen_ai_server_request_duration_seconds", {}).count).toBe(0);
    // A model call refused before the pipeline ran still is one, under its surface.
    const refused = await fetch(`${gw.url}/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "dummy-model:1.0", input: "x", temperature: 7 }) });
    expect(refused.status).toBe(400);
    expect(delta(await scrape(gw.url), after, "ollaix_requests_total", { surface: "responses", status: "400" })).toBe(1);
  });

  test("a token count the gateway estimates names no provider (none was called); it is still a request of its surface", async () => {
    const before = await scrape(gw.url);
    const counted = await fetch(`${gw.url}/v1/responses/input_tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "dummy-model:1.0", input: "Hello" }) });
    expect(counted.status).toBe(200);
    const after = await scrape(gw.url);
    expect(delta(after, before, "ollaix_requests_total", { surface: "responses", model: "dummy-model:1.0", provider: "", status: "200" })).toBe(1);
    expect(delta(after, before, "ollaix_requests_total", { surface: "responses", provider: "dummy" })).toBe(0);
  });

  test("label values stay bounded: a model id nobody serves is never a label value", async () => {
    const metrics = await scrape(gw.url);
    for (const family of ["ollaix_requests_total", "ollaix_tokens_total", "gen_ai_client_token_usage"]) {
      for (const labels of metrics.labelSets(family)) {
        expect(["", "dummy-model:1.0", "broken-model", "midstream-model", "midstream-overloaded-model", "held-model"]).toContain(labels.model ?? labels.gen_ai_request_model ?? "");
      }
    }
    expect(metrics.text).not.toContain("no-such-model-4711");
  });

  test("every contract family is exposed with its type", async () => {
    const metrics = await scrape(gw.url);
    const types = Object.fromEntries([...metrics.families.values()].map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      ollaix_requests_total: "COUNTER",
      ollaix_request_duration_seconds: "HISTOGRAM",
      ollaix_time_to_first_token_seconds: "HISTOGRAM",
      ollaix_overhead_seconds: "HISTOGRAM",
      ollaix_tokens_total: "COUNTER",
      ollaix_upstream_errors_total: "COUNTER",
      ollaix_in_flight_requests: "GAUGE",
      ollaix_rate_limited_total: "COUNTER",
      ollaix_fallbacks_total: "COUNTER",
      gen_ai_server_request_duration_seconds: "HISTOGRAM",
      gen_ai_server_time_to_first_token_seconds: "HISTOGRAM",
      gen_ai_client_token_usage: "HISTOGRAM",
    });
  });

  test("a request still streaming is in flight", async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "held-model", messages: chatMessages, stream: true }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect((await scrape(gw.url)).value("ollaix_in_flight_requests")).toBe(1);
    release();
    while (!(await reader.read()).done);
    expect((await scrape(gw.url)).value("ollaix_in_flight_requests")).toBe(0);
  });
});

describe("OLLAIX_ADMIN_KEY", () => {
  const ADMIN = "adm-9c1f5e0b7d3a4e2f";
  let guarded: TestGateway;
  beforeAll(async () => {
    guarded = await startTestGateway({ OLLAIX_ADMIN_KEY: ADMIN, LOG_LEVEL: "debug" }, [dummy]);
  });
  afterAll(() => guarded.close());

  test("/metrics needs it as a Bearer token; wrong or missing is a 401 envelope", async () => {
    const missing = await fetch(`${guarded.url}/metrics`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: unknown }).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(ADMIN);
    const metrics = await scrape(guarded.url, { authorization: `Bearer ${ADMIN}` });
    expect(metrics.families.has("ollaix_requests_total")).toBe(true);
    // /health and the API stay as they were.
    expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
    expect(guarded.logs.join("")).not.toContain(ADMIN);
  });
});
