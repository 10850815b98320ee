import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { UpstreamCall } from "../../src/kit.ts";
import { startFakeServer, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { jsonResponse, openAIHandler, sentHeaders, sseResponse } from "./__fixtures__/fake-openai.ts";
import { COMPLETION, MODEL_LIST, TEXT_CHUNKS } from "./__fixtures__/openai-wire.ts";
import { abortOf, freePort } from "./__fixtures__/test-env.ts";
import { STREAM_DONE, UpstreamClient } from "./client.ts";
import type { Upstream } from "./settings.ts";

const KEY = "sk-instance-key-0001";
let fake: FakeServer;
let upstream: Upstream;

beforeAll(() => {
  fake = startFakeServer(openAIHandler);
  upstream = { name: "up", baseUrl: `${fake.url}/v1`, apiKey: KEY, headers: { "X-Title": "Ollaix tests" }, refreshIntervalMs: 60_000 };
});
afterEach(() => {
  fake.handle(openAIHandler);
  fake.requests.length = 0;
});
afterAll(() => fake.close());

const call = (overrides: Partial<UpstreamCall> = {}): UpstreamCall => ({
  signal: new AbortController().signal,
  upstreamHeaders: { "x-ollaix-hops": "1", "x-request-id": "req_test" },
  requestedModel: "up/gpt-4o-mini",
  ...overrides,
});

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { status?: number; code?: string | null }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { status?: number; code?: string | null };
  }
  throw new Error("expected a rejection");
}

/** Every event, flattened out of the per-read batches. */
async function drain(opening: Promise<AsyncIterable<readonly unknown[]>>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const batch of await opening) out.push(...batch);
  return out;
}

describe("UpstreamClient requests", () => {
  test("POST: URL under base_url, the body as given, the instance key, configured and core headers", async () => {
    const client = new UpstreamClient(upstream, fetch);
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], top_k: 3 };
    expect(await client.postJson("/chat/completions", body, call())).toEqual(COMPLETION);
    const [sent] = fake.requests;
    expect(sent!.method).toBe("POST");
    expect(sent!.path).toBe("/v1/chat/completions");
    expect(sent!.body).toEqual(body);
    expect(sentHeaders(sent!)).toEqual({
      accept: "application/json",
      "content-type": "application/json",
      authorization: `Bearer ${KEY}`,
      "x-title": "Ollaix tests",
      "x-ollaix-hops": "1",
      "x-request-id": "req_test",
    });
  });

  test("GET /models: no body, no content-type; no key header when the instance has none", async () => {
    const client = new UpstreamClient({ ...upstream, apiKey: undefined, headers: {} }, fetch);
    expect(await client.getJson("/models", call({ upstreamHeaders: { "x-ollaix-hops": "1" } }))).toEqual(MODEL_LIST);
    expect(fake.requests[0]!.path).toBe("/v1/models");
    expect(sentHeaders(fake.requests[0]!)).toEqual({ accept: "application/json", "x-ollaix-hops": "1" });
  });

  test("a stream yields each event's JSON and stops at [DONE], which it says (STREAM_DONE)", async () => {
    const client = new UpstreamClient(upstream, fetch);
    fake.handle(
      () =>
        new Response(`data: ${JSON.stringify(TEXT_CHUNKS[0])}\n\ndata: [DONE]\n\ndata: ${JSON.stringify(TEXT_CHUNKS[1])}\n\n`, {
          headers: { "content-type": "text/event-stream" },
        }),
    );
    expect(await drain(client.openStream("/chat/completions", { stream: true }, call()))).toEqual([TEXT_CHUNKS[0], STREAM_DONE]);
    expect(sentHeaders(fake.requests.at(-1)!).accept).toBe("text/event-stream");
  });

  test("a stream request answered with a JSON error (200) is that error; other JSON → 502", async () => {
    const client = new UpstreamClient(upstream, fetch);
    fake.handle(() => jsonResponse({ error: { message: "No endpoints found", code: 404 } }));
    expect(await rejectionOf(drain(client.openStream("/chat/completions", {}, call())))).toMatchObject({ status: 404, code: "model_not_found" });
    fake.handle(() => jsonResponse(COMPLETION));
    expect(await rejectionOf(drain(client.openStream("/chat/completions", {}, call())))).toMatchObject({
      status: 502,
      message: "The upstream up answered a stream request with JSON instead of events.",
    });
  });

  test("a malformed stream event → 502", async () => {
    fake.handle(() => new Response("data: {not json\n\n", { headers: { "content-type": "text/event-stream" } }));
    const client = new UpstreamClient(upstream, fetch);
    const error = await rejectionOf(drain(client.openStream("/chat/completions", {}, call())));
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
  });

  test("an HTTP error is read and mapped before any event; the key never appears", async () => {
    fake.handle(() => jsonResponse({ error: { message: `Incorrect API key provided: ${KEY}.`, code: "invalid_api_key" } }, 401));
    const client = new UpstreamClient(upstream, fetch);
    const error = await rejectionOf(drain(client.openStream("/chat/completions", {}, call())));
    expect(error).toMatchObject({ status: 502, code: "upstream_auth_failed", message: "The gateway's key for up was refused by the upstream (HTTP 401)." });
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(KEY);
  });

  test("not JSON → 502", async () => {
    fake.handle(() => new Response("<html>hello</html>", { headers: { "content-type": "text/html" } }));
    const client = new UpstreamClient(upstream, fetch);
    expect(await rejectionOf(client.postJson("/chat/completions", {}, call()))).toMatchObject({
      status: 502,
      message: "The upstream up answered POST /chat/completions with something that is not JSON.",
    });
  });

  test("a redirect is not followed (it would carry the key elsewhere)", async () => {
    fake.handle(() => new Response(null, { status: 307, headers: { location: "http://127.0.0.1:1/elsewhere" } }));
    const client = new UpstreamClient(upstream, fetch);
    const error = await rejectionOf(client.postJson("/chat/completions", {}, call()));
    expect(error).toMatchObject({
      status: 502,
      code: "upstream_error",
      message: "The upstream up answered with a redirect (HTTP 307); its base_url must be the address it serves on.",
    });
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/chat/completions"]);
  });
});

describe("UpstreamClient failures below HTTP", () => {
  test("connection refused → 503 upstream_unavailable", async () => {
    const port = await freePort();
    const client = new UpstreamClient({ ...upstream, baseUrl: `http://127.0.0.1:${port}/v1` }, fetch);
    expect(await rejectionOf(client.postJson("/chat/completions", {}, call()))).toMatchObject({
      status: 503,
      code: "upstream_unavailable",
      message: "The upstream up is unreachable (ECONNREFUSED).",
    });
  });

  test("timeout_ms → 504 upstream_timeout, and the upstream request is aborted", async () => {
    fake.handle((request) => new Promise<Response>((resolve) => request.signal.addEventListener("abort", () => resolve(new Response()))));
    const client = new UpstreamClient({ ...upstream, timeoutMs: 50 }, fetch);
    expect(await rejectionOf(client.postJson("/chat/completions", {}, call()))).toMatchObject({
      status: 504,
      code: "upstream_timeout",
      message: "The upstream up did not answer within 50 ms (its timeout_ms).",
    });
    await abortOf(fake.requests.at(-1)!.signal);
  });

  test("timeout_ms does not cut a stream that has started", async () => {
    fake.handle(() => sseResponse(TEXT_CHUNKS, { delayMs: 40 }));
    const client = new UpstreamClient({ ...upstream, timeoutMs: 60 }, fetch);
    expect(await drain(client.openStream("/chat/completions", {}, call()))).toEqual([...TEXT_CHUNKS, STREAM_DONE]);
  });

  test("the context's abort reaches the upstream and surfaces as its reason", async () => {
    fake.handle(() => sseResponse(TEXT_CHUNKS, { delayMs: 10_000 }));
    const controller = new AbortController();
    const client = new UpstreamClient(upstream, fetch);
    const events = await client.openStream("/chat/completions", {}, call({ signal: controller.signal }));
    expect(((await events.next()).value as unknown[])[0]).toEqual(TEXT_CHUNKS[0]);
    const reason = new Error("client gone");
    controller.abort(reason);
    expect(await rejectionOf(events.next())).toBe(reason);
    await abortOf(fake.requests.at(-1)!.signal);
  });

  test("a discovery time-out (AbortSignal.timeout) → 504", async () => {
    fake.handle(() => new Promise<Response>(() => undefined));
    const client = new UpstreamClient(upstream, fetch);
    expect(await rejectionOf(client.getJson("/models", call({ signal: AbortSignal.timeout(30) })))).toMatchObject({
      status: 504,
      message: "The upstream up did not answer in time.",
    });
  });
});

describe("a body nested too deep to serialise (a security probe)", () => {
  test("is the request's 400, never an upstream failure a route would retry or count against the deployment; nothing is sent", async () => {
    let deep: Record<string, unknown> = { x: 1 };
    for (let i = 0; i < 200_000; i++) deep = { n: deep };
    const client = new UpstreamClient(upstream, fetch);
    const refused = await rejectionOf(client.postJson("/chat/completions", { model: "gpt-4o-mini", messages: [], extra: deep }, call()));
    expect(refused).toMatchObject({ status: 400, code: null });
    expect(refused.message).toContain("nests too deeply");
    expect(fake.requests).toHaveLength(0);
  });
});
