import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { json, sse, UNKNOWN_MODEL, type FakeGemini } from "./__fixtures__/fake-gemini.ts";
import { failure, KEY, startGeminiGateway, waitFor, type GeminiGateway } from "./__fixtures__/gemini-gateway.ts";
import contextTooLong from "./__fixtures__/error-context-too-long.json";
import internal from "./__fixtures__/error-internal.json";
import missingSignature from "./__fixtures__/error-missing-thought-signature.json";
import overloaded from "./__fixtures__/error-overloaded.json";
import permissionDenied from "./__fixtures__/error-permission-denied.json";
import rateLimited from "./__fixtures__/error-rate-limited.json";
import unauthenticated from "./__fixtures__/error-unauthenticated.json";

/** The contract's error table for Gemini, end to end; and that the key never leaves the gateway. */
let env: GeminiGateway;
let upstream: FakeGemini;
let client: OpenAI;
const ask = { model: "gemini-2.5-flash", messages: [{ role: "user" as const, content: "Hello" }] };

beforeAll(async () => {
  env = await startGeminiGateway();
  ({ upstream, client } = env);
});
afterEach(() => upstream.reset());
afterAll(() => env.close());

/** A raw POST, to read the exact envelope and headers. */
const post = (gw: GeminiGateway, body: unknown) =>
  fetch(`${gw.gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("Gemini refuses the gateway's key", () => {
  const WRONG = "wrong-key-abcdef-987";
  let refused: GeminiGateway;
  beforeAll(async () => {
    refused = await startGeminiGateway({ gatewayKey: WRONG });
  });
  afterAll(() => refused.close());

  test("400 API_KEY_INVALID → 502 upstream_auth_failed, without the key (Gemini's debug detail repeats it)", async () => {
    const response = await post(refused, ask);
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(JSON.parse(text)).toEqual({
      error: { message: "Gemini refused the gateway's Gemini API key (API_KEY_INVALID); check GEMINI_API_KEY.", type: "api_error", param: null, code: "upstream_auth_failed" },
    });
    expect(text).not.toContain(WRONG);
    expect(refused.upstream.calls(":generateContent")[0]!.headers["x-goog-api-key"]).toBe(WRONG);
  });

  test("streaming: the same 502 before the first byte", async () => {
    expect(await failure(refused.client.chat.completions.create({ ...ask, stream: true }))).toMatchObject({ status: 502, error: { code: "upstream_auth_failed" } });
  });

  test("model listing failed, so the built-in list is served; the failure is logged without the key", async () => {
    const ids = (await refused.client.models.list()).data.filter((m) => m.owned_by === "gemini").map((m) => m.id);
    expect(ids).toEqual(["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-embedding-001"]);
    const logs = refused.gw.logs.join("\n");
    expect(logs).toContain("Gemini refused the gateway's Gemini API key (API_KEY_INVALID)");
    expect(logs).not.toContain(WRONG);
  });

  test("/health?probe=true reports the refusal, without the key", async () => {
    const health = (await (await refused.gw.handle("/health?probe=true")).json()) as { providers: unknown[] };
    expect(health.providers).toContainEqual({
      name: "gemini",
      models: 5,
      ok: false,
      detail: "Gemini refused the gateway's Gemini API key (API_KEY_INVALID); check GEMINI_API_KEY.",
    });
  });

  test.each([
    [401, unauthenticated, "UNAUTHENTICATED"],
    [403, permissionDenied, "PERMISSION_DENIED"],
  ])("%i → 502 upstream_auth_failed", async (status, body, why) => {
    upstream.answer(() => json(body, status));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({
      status: 502,
      error: { code: "upstream_auth_failed", message: `Gemini refused the gateway's Gemini API key (${why}); check GEMINI_API_KEY.` },
    });
  });
});

describe("request errors", () => {
  test("another 400 → 400 with Gemini's message", async () => {
    upstream.answer(() => json(missingSignature, 400));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({
      status: 400,
      error: { type: "invalid_request_error", code: null, param: null, message: missingSignature.error.message },
    });
  });

  test("a prompt over the context window → 400 context_length_exceeded", async () => {
    upstream.answer(() => json(contextTooLong, 400));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({ status: 400, error: { code: "context_length_exceeded", message: contextTooLong.error.message } });
  });

  test("404 for the model → 404 model_not_found naming the id the client sent", async () => {
    for (const stream of [false, true]) {
      expect(await failure(client.chat.completions.create({ ...ask, model: `gemini/${UNKNOWN_MODEL}`, stream }))).toMatchObject({
        status: 404,
        error: { type: "invalid_request_error", code: "model_not_found", param: "model", message: `The model 'gemini/${UNKNOWN_MODEL}' does not exist or you do not have access to it.` },
      });
    }
    expect(upstream.requests.map((r) => r.path)).toEqual([`/v1beta/models/${UNKNOWN_MODEL}:generateContent`, `/v1beta/models/${UNKNOWN_MODEL}:streamGenerateContent`]);
  });
});

describe("rate limits and upstream failures", () => {
  test("429 → 429 rate_limit_exceeded with Retry-After from RetryInfo.retryDelay", async () => {
    upstream.answer(() => json(rateLimited, 429));
    const response = await post(env, ask);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("37");
    expect(await response.json()).toEqual({ error: { message: `Gemini rate limit: ${rateLimited.error.message}`, type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } });
  });

  test("429 on a stream, before the first byte → the same HTTP 429", async () => {
    upstream.answer(() => json(rateLimited, 429));
    const response = await post(env, { ...ask, stream: true });
    expect([response.status, response.headers.get("retry-after")]).toEqual([429, "37"]);
  });

  test.each([
    [500, internal],
    [503, overloaded],
  ])("%i → 502 upstream_error", async (status, body) => {
    upstream.answer(() => json(body, status));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({ status: 502, error: { type: "api_error", code: "upstream_error", message: `Gemini answered HTTP ${status}: ${body.error.message}` } });
  });

  test("an error event inside the stream, after text → the SSE error event, then the stream closes", async () => {
    upstream.answer(() => sse([{ candidates: [{ content: { parts: [{ text: "Once" }], role: "model" } }] }, overloaded]));
    const response = await post(env, { ...ask, stream: true });
    const events = (await response.text()).split("\n\n").filter(Boolean);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0]!.slice(6)).choices[0].delta).toEqual({ role: "assistant", content: "Once" });
    expect(JSON.parse(events[1]!.slice(6))).toEqual({ error: { message: `Gemini answered HTTP 503: ${overloaded.error.message}`, type: "api_error", param: null, code: "upstream_error" } });
  });

  test("an answer that is not JSON, or not Gemini's shape → 502", async () => {
    upstream.answer(() => new Response("<html>proxy error</html>", { headers: { "content-type": "application/json" } }));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({ status: 502, error: { code: "upstream_error" } });
    upstream.answer(() => json({ candidates: [{ content: { parts: "text" } }] }));
    expect(await failure(client.chat.completions.create(ask))).toMatchObject({
      status: 502,
      error: { code: "upstream_error", message: "Gemini sent an answer that does not match its documented format (/candidates/0/content/parts: Expected array)." },
    });
  });
});

describe("transport", () => {
  test("Gemini unreachable → 503 upstream_unavailable; the built-in model list is served", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const deadUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const down = await startGeminiGateway({ baseUrl: deadUrl });
    try {
      expect(await failure(down.client.chat.completions.create(ask))).toMatchObject({ status: 503, error: { type: "api_error", code: "upstream_unavailable", message: "Gemini is unreachable (ECONNREFUSED)." } });
      expect((await down.client.models.list()).data.some((m) => m.id === "gemini-2.5-flash" && m.owned_by === "gemini")).toBe(true);
    } finally {
      await down.close();
    }
  });

  test("the core's time-out aborts the Gemini call and answers 504 upstream_timeout", async () => {
    const slow = await startGeminiGateway({ env: { UPSTREAM_TIMEOUT_MS: "300" } });
    try {
      // Gemini never answers: the request hangs until the gateway gives up on it.
      slow.upstream.answer((request) => new Promise((resolve) => request.signal.addEventListener("abort", () => resolve(new Response(null, { status: 499 })))));
      for (const stream of [false, true]) {
        expect(await failure(slow.client.chat.completions.create({ ...ask, stream }))).toMatchObject({ status: 504, error: { code: "upstream_timeout" } });
      }
      const calls = slow.upstream.calls("Content");
      expect(calls).toHaveLength(2);
      await waitFor(() => calls.every((c) => c.signal.aborted));
    } finally {
      await slow.close();
    }
  });

  test("a client that disconnects mid-stream aborts the Gemini request", async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ candidates: [{ content: { parts: [{ text: `word${i} ` }], role: "model" }, index: 0 }] }));
    upstream.answer(() => sse(events, 50));
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...ask, stream: true }, { signal: controller.signal });
    for await (const chunk of stream) {
      expect(chunk.choices[0]!.delta.content).toBe("word0 ");
      controller.abort();
      break;
    }
    const call = upstream.calls(":streamGenerateContent")[0]!;
    await waitFor(() => call.signal.aborted);
    expect(call.signal.aborted).toBe(true);
  });
});

test("the key never appears in any log line of the gateway", () => {
  expect(env.gw.logs.join("\n")).not.toContain(KEY);
});
