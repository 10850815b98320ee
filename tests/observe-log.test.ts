import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import dummy from "../plugins/dummy/index.ts";
import openaiCompatible from "../plugins/openai-compatible/index.ts";
import { jsonResponse, openAIHandler } from "../plugins/openai-compatible/__fixtures__/fake-openai.ts";
import { USAGE } from "../plugins/openai-compatible/__fixtures__/openai-wire.ts";
import { definePlugin, type ChunkResult } from "../src/kit.ts";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

const CLIENT_KEY = "client-key-3b8e1d07";
const ADMIN_KEY = "admin-key-a61f0c92";
const UPSTREAM_KEY = "sk-upstream-5c4e2a19";

/** A stream that never ends by itself (its client leaves). */
const endless = definePlugin({
  name: "endless",
  models: [{ id: "endless-model" }],
  async chat() {
    throw new Error("not used");
  },
  async *chatStream(_, ctx): AsyncGenerator<ChunkResult> {
    while (!ctx.signal.aborted) {
      yield { choices: [{ index: 0, delta: { content: "more " } }] };
      await Bun.sleep(10);
    }
  },
});

/** Azure's way: a first chunk with no choices (its prompt filter results), a role-only delta, then the first token a while later. */
const lateToken = definePlugin({
  name: "late-token",
  models: [{ id: "late-token-model" }, { id: "no-token-model" }],
  async chat() {
    throw new Error("not used");
  },
  async *chatStream(request): AsyncGenerator<ChunkResult> {
    yield { choices: [] };
    await Bun.sleep(150);
    yield { choices: [{ index: 0, delta: { role: "assistant" } }] };
    if (request.model === "late-token-model") {
      await Bun.sleep(150);
      yield { choices: [{ index: 0, delta: { content: "Hi" } }] };
    }
    yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
  },
});

let upstream: FakeServer;
let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  upstream = startFakeServer(openAIHandler);
  gw = await startTestGateway(
    { LOG_LEVEL: "info", OLLAIX_API_KEYS: CLIENT_KEY, OLLAIX_ADMIN_KEY: ADMIN_KEY, OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: UPSTREAM_KEY },
    [dummy, openaiCompatible, endless, lateToken],
  );
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

// biome-ignore lint: log lines are read loosely
type Line = Record<string, any>;
const lines = (): Line[] => gw.logs.map((l) => JSON.parse(l));
const requestLines = (id: string) => lines().filter((l) => l.msg === "request" && l.request_id === id);

/** The request's one log line (it may follow the answer by a moment when the client left). */
async function requestLine(id: string): Promise<Line> {
  for (let i = 0; i < 100 && requestLines(id).length === 0; i++) await Bun.sleep(10);
  const found = requestLines(id);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const withId = (id: string) => ({ headers: { "x-request-id": id } });
const messages = [{ role: "user" as const, content: "Say something short." }];

describe("one request log line per finished request", () => {
  test("a chat completion: the contract's fields, usage equal to the answer's", async () => {
    const answer = await client.chat.completions.create({ model: "dummy-model:1.0", messages, seed: 3 }, withId("log-chat-1"));
    const line = await requestLine("log-chat-1");
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      surface: "chat",
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      model: "dummy-model:1.0",
      target: "dummy/dummy-model:1.0",
      stream: false,
      input_tokens: answer.usage!.prompt_tokens,
      output_tokens: answer.usage!.completion_tokens,
    });
    expect(typeof line.duration_ms).toBe("number");
    expect(line.ttft_ms).toBeUndefined();
    expect(line.error).toBeUndefined();
  });

  test("a stream whose client asked for no usage is still counted by the provider's figures (asked for upstream, never shown to the client)", async () => {
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true }, withId("log-stream-quiet"));
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((chunk) => chunk.usage != null || chunk.choices.length === 0)).toBe(false);
    const sent = upstream.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body as { stream_options?: unknown };
    expect(sent.stream_options).toEqual({ include_usage: true });
    const line = await requestLine("log-stream-quiet");
    expect(line).toMatchObject({ input_tokens: USAGE.prompt_tokens, output_tokens: USAGE.completion_tokens });
  });

  test("a stream: ttft_ms and usage", async () => {
    const stream = await client.chat.completions.create(
      { model: "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true } },
      withId("log-stream-1"),
    );
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    const line = await requestLine("log-stream-1");
    expect(line).toMatchObject({ surface: "chat", status: 200, stream: true, model: "gpt-4o-mini", target: "openai/gpt-4o-mini", input_tokens: usage!.prompt_tokens, output_tokens: usage!.completion_tokens });
    expect(line.ttft_ms).toBeGreaterThanOrEqual(0);
    expect(line.ttft_ms).toBeLessThanOrEqual(line.duration_ms);
  });

  test("ttft_ms is the first token's, not the first chunk's (Azure's filter results, a role-only delta); a stream without any token has none", async () => {
    for await (const _ of await client.chat.completions.create({ model: "late-token-model", messages, stream: true }, withId("log-late-token"))) void _;
    const line = await requestLine("log-late-token");
    expect(line.ttft_ms).toBeGreaterThanOrEqual(290);
    expect(line.ttft_ms).toBeLessThanOrEqual(line.duration_ms);
    for await (const _ of await client.chat.completions.create({ model: "no-token-model", messages, stream: true }, withId("log-no-token"))) void _;
    const empty = await requestLine("log-no-token");
    expect(empty).toMatchObject({ status: 200, stream: true });
    expect(empty.ttft_ms).toBeUndefined();
  });

  test("a response: its id, so a stored or background response's line can be found by the id its client holds", async () => {
    const answer = await client.responses.create({ model: "dummy-model:1.0", input: "Say something short." }, withId("log-resp-1"));
    const line = await requestLine("log-resp-1");
    expect(line).toMatchObject({ surface: "responses", path: "/v1/responses", status: 200, response_id: answer.id, input_tokens: answer.usage!.input_tokens });
    expect(line.background).toBeUndefined();
    const queued = await client.responses.create({ model: "dummy-model:1.0", input: "Say something short.", background: true }, withId("log-resp-2"));
    let done = queued;
    for (let i = 0; i < 200 && (done.status === "queued" || done.status === "in_progress"); i++) {
      await Bun.sleep(10);
      done = await client.responses.retrieve(queued.id);
    }
    expect(done.status).toBe("completed");
    expect(await requestLine("log-resp-2")).toMatchObject({ surface: "responses", status: 200, response_id: queued.id, background: true, output_tokens: done.usage!.output_tokens });
  });

  test("embeddings", async () => {
    const answer = await client.embeddings.create({ model: "dummy-model:1.0", input: "hello there" }, withId("log-embed-1"));
    expect(await requestLine("log-embed-1")).toMatchObject({ surface: "embeddings", path: "/v1/embeddings", status: 200, input_tokens: answer.usage.prompt_tokens, output_tokens: 0 });
  });

  test("a refusal (401) and an unknown model (404) are logged with their code; an unknown model is model=\"\"", async () => {
    const refused = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "log-401" }, body: JSON.stringify({ model: "dummy-model:1.0", messages }) });
    expect(refused.status).toBe(401);
    const line401 = await requestLine("log-401");
    expect(line401).toMatchObject({ surface: "chat", status: 401, error: "invalid_api_key", model: "" });
    expect(line401.duration_ms).toBeGreaterThanOrEqual(0);
    await client.chat.completions.create({ model: "my-secret-project-model", messages }, withId("log-404")).catch(() => undefined);
    expect(await requestLine("log-404")).toMatchObject({ status: 404, error: "model_not_found", model: "" });
    expect(gw.logs.join("")).not.toContain("my-secret-project-model");
  });

  test("an upstream that refuses the gateway's key: 502 logged at info, and a warn line with provider and code", async () => {
    upstream.handle((request) =>
      request.path === "/v1/chat/completions"
        ? jsonResponse({ error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}.`, type: "invalid_request_error", param: null, code: "invalid_api_key" } }, 401)
        : openAIHandler(request),
    );
    try {
      const status = await client.chat.completions.create({ model: "gpt-4o-mini", messages }, withId("log-502")).then(() => 200, (e: InstanceType<typeof OpenAI.APIError>) => e.status);
      expect(status).toBe(502);
    } finally {
      upstream.handle(openAIHandler);
    }
    expect(await requestLine("log-502")).toMatchObject({ status: 502, error: "upstream_auth_failed", target: "openai/gpt-4o-mini" });
    const warn = lines().find((l) => l.msg === "upstream failed" && l.request_id === "log-502");
    expect(warn).toMatchObject({ level: "warn", provider: "openai", code: "upstream_auth_failed", status: 502 });
  });

  test("an upstream 429 is logged with its code", async () => {
    upstream.handle((request) =>
      request.path === "/v1/chat/completions"
        ? jsonResponse({ error: { message: "Rate limit reached.", type: "requests", param: null, code: "rate_limit_exceeded" } }, 429, { "retry-after": "2" })
        : openAIHandler(request),
    );
    try {
      await client.chat.completions.create({ model: "gpt-4o-mini", messages }, withId("log-429")).catch(() => undefined);
    } finally {
      upstream.handle(openAIHandler);
    }
    expect(await requestLine("log-429")).toMatchObject({ status: 429, error: "rate_limit_exceeded" });
    expect(lines().find((l) => l.msg === "upstream failed" && l.request_id === "log-429")).toMatchObject({ provider: "openai", code: "rate_limit_exceeded" });
  });

  test("a client that leaves mid-stream: one line, status 499, client_gone", async () => {
    const controller = new AbortController();
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}`, "x-request-id": "log-gone" },
      body: JSON.stringify({ model: "endless-model", messages, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    expect(await requestLine("log-gone")).toMatchObject({ status: 499, error: "client_gone", stream: true, model: "endless-model" });
  });

  test("a client that leaves before its body is all sent: status 499 client_gone, not a 400 for malformed JSON", async () => {
    const body = JSON.stringify({ model: "gpt-4o-mini", messages });
    const { connect } = await import("node:net");
    const { port, hostname } = new URL(gw.url);
    // With a content-length it does not reach, then chunked (read without one): closed after part of the body.
    const heads = [`content-length: ${body.length + 50}`, "transfer-encoding: chunked"];
    for (const [i, head] of heads.entries()) {
      const socket = connect(Number(port), hostname);
      await new Promise((resolve) => socket.once("connect", resolve));
      const part = head.startsWith("content-length") ? body : `${(body.length + 50).toString(16)}\r\n${body}`;
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${CLIENT_KEY}\r\ncontent-type: application/json\r\nx-request-id: log-upload-gone-${i}\r\n${head}\r\n\r\n${part}`);
      await Bun.sleep(100);
      socket.destroy();
      expect(await requestLine(`log-upload-gone-${i}`)).toMatchObject({ status: 499, error: "client_gone" });
    }
  });

  test("scraping /metrics and probes are not requests of a surface; no key ever reaches the log", async () => {
    await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${UPSTREAM_KEY}` } });
    expect(lines().filter((l) => l.msg === "request" && String(l.path).startsWith("/metrics"))).toHaveLength(0);
    const all = gw.logs.join("");
    for (const secret of [CLIENT_KEY, ADMIN_KEY, UPSTREAM_KEY]) expect(all).not.toContain(secret);
  });
});
