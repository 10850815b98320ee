import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { sseEvents, startFakeServer, streamBody, type FakeServer } from "../../tests/helpers/fake-server.ts";
import { jsonPost, startTestGateway, type TestGateway } from "../../tests/helpers/gateway.ts";
import { expectOpenAI } from "../../tests/helpers/openai-schema.ts";
import dummy from "../dummy/index.ts";
import { jsonResponse, openAIHandler, resetBetweenTests, sseResponse } from "./__fixtures__/fake-openai.ts";
import { COMPLETION, ERRORS, TEXT_CHUNKS } from "./__fixtures__/openai-wire.ts";
import { abortOf, freePort, writeConfigFile } from "./__fixtures__/test-env.ts";
import openaiCompatible from "./index.ts";

/**
 * The contract's error table for an OpenAI-compatible upstream, end to end: the fake answers each
 * error as OpenAI documents it, and the client sees the gateway's envelope. The gateway logs at
 * debug level so the "no key in the logs" checks see every line.
 */
const KEY_ENV = "OC_E2E_ERRORS_KEY";
const KEY = "sk-errors-instance-key-3141";
const PROXY_ENV = "OC_E2E_PROXY_KEY";
const PROXY_KEY = "azure-style-proxy-secret-2718";
let fake: FakeServer;
let gw: TestGateway;
let client: OpenAI;
// An upstream whose answer says it is 300 MB long.
const huge = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: { data: (socket) => void socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300000000\r\n\r\n{") },
});
afterAll(() => huge.stop(true));

beforeAll(async () => {
  fake = startFakeServer(openAIHandler);
  const deadPort = await freePort();

  const config = writeConfigFile({
    plugins: {
      "openai-compatible": {
        upstreams: [
          { name: "up", base_url: `${fake.url}/v1`, api_key_env: KEY_ENV, headers_env: { "api-key": PROXY_ENV }, models: ["gpt-4o-mini"] },
          { name: "down", base_url: `http://127.0.0.1:${deadPort}/v1`, models: ["m"] },
          { name: "huge", base_url: `http://127.0.0.1:${huge.port}/v1`, models: ["big"] },
          { name: "slow", base_url: `${fake.url}/slow/v1`, models: ["m"], timeout_ms: 100 },
          { name: "patient", base_url: `${fake.url}/patient/v1`, models: ["m"], timeout_ms: 10_000 },
        ],
      },
    },
  });
  gw = await startTestGateway({ OLLAIX_CONFIG: config, [KEY_ENV]: KEY, [PROXY_ENV]: PROXY_KEY, LOG_LEVEL: "debug", UPSTREAM_TIMEOUT_MS: "1000" }, [dummy, openaiCompatible]);
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "client-key", maxRetries: 0 });
});
resetBetweenTests(() => fake, () => gw);

const messages = [{ role: "user" as const, content: "hi" }];

/** A chat request by plain fetch: status, `retry-after` and the envelope, exactly. */
async function chat(body: Record<string, unknown>) {
  const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages, ...body }));
  const json = (await response.json()) as { error: Record<string, unknown> };
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: json };
}

describe("upstream HTTP errors, stream and not", () => {
  for (const stream of [false, true]) {
    describe(stream ? "stream: true (before the first byte: an HTTP error)" : "stream: false", () => {
      test("404 → 404 model_not_found naming the id the client asked for", async () => {
        fake.handle(() => jsonResponse(ERRORS.modelNotFound, 404));
        const answer = await chat({ model: "up/gpt-5-turbo", stream });
        expect(answer).toEqual({
          status: 404,
          retryAfter: null,
          body: { error: { message: "The model 'up/gpt-5-turbo' does not exist or you do not have access to it.", type: "invalid_request_error", param: "model", code: "model_not_found" } },
        });
        expectOpenAI("ErrorResponse", answer.body);
      });

      test("400 context_length_exceeded → 400 with the upstream's message, param and code", async () => {
        fake.handle(() => jsonResponse(ERRORS.contextLength, 400));
        expect(await chat({ stream })).toEqual({ status: 400, retryAfter: null, body: ERRORS.contextLength });
      });

      test("401 → 502 upstream_auth_failed; the key is in neither the body nor the logs", async () => {
        fake.handle(() => jsonResponse(ERRORS.invalidKey(KEY), 401));
        const answer = await chat({ stream });
        expect(answer).toEqual({
          status: 502,
          retryAfter: null,
          body: { error: { message: "The gateway's key for up was refused by the upstream (HTTP 401).", type: "api_error", param: null, code: "upstream_auth_failed" } },
        });
        expect(gw.logs.some((line) => line.includes("upstream_auth_failed") || line.includes("was refused"))).toBe(true);
        expect(gw.logs.join("\n")).not.toContain(KEY);
      });

      test("500 → 502 upstream_error", async () => {
        fake.handle(() => jsonResponse(ERRORS.server, 500));
        expect(await chat({ stream })).toEqual({
          status: 502,
          retryAfter: null,
          body: { error: { message: `The upstream up failed (HTTP 500): ${ERRORS.server.error.message}`, type: "api_error", param: null, code: "upstream_error" } },
        });
      });

      test("connection refused → 503 upstream_unavailable", async () => {
        expect(await chat({ model: "down/m", stream })).toEqual({
          status: 503,
          retryAfter: null,
          body: { error: { message: "The upstream down is unreachable (ECONNREFUSED).", type: "api_error", param: null, code: "upstream_unavailable" } },
        });
      });

      test("timeout_ms → 504 upstream_timeout, and the upstream request is aborted", async () => {
        fake.handle((request) => new Promise<Response>((resolve) => request.signal.addEventListener("abort", () => resolve(new Response()))));
        expect(await chat({ model: "slow/m", stream })).toEqual({
          status: 504,
          retryAfter: null,
          body: { error: { message: "The upstream slow did not answer within 100 ms (its timeout_ms).", type: "api_error", param: null, code: "upstream_timeout" } },
        });
        await abortOf(fake.requests[0]!.signal);
      });

      if (stream) {
        test("timeout_ms bounds the first chunk too, when the headers came at once (a probe: it waited timeout_ms + 1 s, and said so)", async () => {
          fake.handle(() => new Response(streamBody([": queued\n\n", ...sseEvents(TEXT_CHUNKS)], 1_500), { headers: { "content-type": "text/event-stream" } }));
          const answer = await chat({ model: "slow/m", stream });
          expect(answer.status).toBe(504);
          expect(answer.body.error).toMatchObject({ code: "upstream_timeout", message: expect.stringContaining("within 100 ms") });
        });
      }

      test("a timeout_ms longer than UPSTREAM_TIMEOUT_MS (1 s here) is this upstream's wait: an answer after 1.5 s comes through", async () => {
        fake.handle(async (request) => {
          await Bun.sleep(1500);
          return (request.body as { stream?: boolean }).stream ? sseResponse(TEXT_CHUNKS) : jsonResponse(COMPLETION);
        });
        const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "patient/m", messages, stream }));
        expect(response.status).toBe(200);
        expect(await response.text()).toContain(stream ? "data: [DONE]" : '"chat.completion"');
      });
    });
  }

  test("the official SDK gets its typed errors", async () => {
    fake.handle(() => jsonResponse(ERRORS.contextLength, 400));
    const invalid = await client.chat.completions.create({ model: "gpt-4o-mini", messages }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid).toMatchObject({ status: 400, code: "context_length_exceeded", param: "messages" });
    fake.handle(() => jsonResponse(ERRORS.modelNotFound, 404));
    expect(await client.chat.completions.create({ model: "gpt-4o-mini", messages }).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("429 keeps the upstream's code and its wait", () => {
  const inThirtySeconds = () => new Date(Date.now() + 30_000).toUTCString();
  test.each([
    ["Retry-After in seconds", () => ({ "retry-after": "17" }), ["17"]],
    ["Retry-After as an HTTP date", () => ({ "retry-after": inThirtySeconds() }), ["29", "30"]],
    ["retry-after-ms", () => ({ "retry-after-ms": "2500" }), ["3"]],
    ["x-ratelimit-reset-requests", () => ({ "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "0" }), ["360"]],
    ["x-ratelimit-reset-tokens", () => ({ "x-ratelimit-reset-tokens": "20ms", "x-ratelimit-remaining-tokens": "0" }), ["1"]],
    ["no hint", () => ({}), ["1"]],
  ])("%s", async (_form, headers, expected) => {
    fake.handle(() => jsonResponse(ERRORS.rateLimit, 429, headers()));
    const answer = await chat({});
    expect(answer.status).toBe(429);
    expect(expected).toContain(answer.retryAfter!);
    expect(answer.body).toEqual({ error: { message: ERRORS.rateLimit.error.message, type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } });
  });

  test("insufficient_quota is kept, as OpenAI types it, with no Retry-After made up and OpenAI's SDKs told not to retry", async () => {
    fake.handle(() => jsonResponse(ERRORS.insufficientQuota, 429));
    const answer = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages, stream: true }));
    expect(((await answer.json()) as { error: unknown }).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(answer.headers.get("x-should-retry")).toBe("false");
    // A plain rate limit still gets a wait to honour, and may be retried.
    fake.handle(() => jsonResponse({ error: { message: "Slow down.", type: "requests", param: null, code: "rate_limit_exceeded" } }, 429));
    const limited = await chat({});
    expect(limited.retryAfter).toBe("1");
  });
});

describe("answers that are not what they should be", () => {
  test("a 200 that is not a chat completion → 502", async () => {
    fake.handle(() => jsonResponse({ hello: "world" }));
    expect(await chat({})).toMatchObject({ status: 502, body: { error: { code: "upstream_error", message: "The upstream up answered with something that is not a chat completion." } } });
  });

  test("a 200 with no choices → 502 (a Responses call gets OpenAI's envelope, not an empty completed response)", async () => {
    fake.handle(() => jsonResponse({ id: "chatcmpl-1", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices: [] }));
    expect(await chat({})).toMatchObject({ status: 502, body: { error: { code: "upstream_error", message: "The upstream up answered with no choices." } } });
    const response = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", input: "Hi" }));
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: { message: "The upstream up answered with no choices.", type: "api_error", param: null, code: "upstream_error" } });
  });

  test("an answer larger than the gateway reads (256 MiB) is a 502 saying so; an endless error body is read only as far as its message", async () => {
    // The upstream `huge` declares 300 MB (and sends one byte): refused before it is read.
    expect(await chat({ model: "big" })).toMatchObject({ status: 502, body: { error: { code: "upstream_error", message: "The upstream's answer is larger than the 256 MiB the gateway reads." } } });
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"error":{"message":"overloaded'));
      },
      pull(controller) {
        pulled += 65_536;
        controller.enqueue(new Uint8Array(65_536).fill(0x20));
      },
    });
    fake.handle(() => new Response(endless, { status: 500, headers: { "content-type": "application/json" } }));
    const answer = await chat({});
    expect(answer).toMatchObject({ status: 502, body: { error: { code: "upstream_error" } } });
    expect(pulled).toBeLessThan(8 * 1024 * 1024);
  });

  test("a 200 carrying an error (OpenRouter style) is that error", async () => {
    fake.handle(() => jsonResponse({ error: { message: "Rate limit exceeded: free-models-per-min.", code: 429 } }));
    expect(await chat({})).toMatchObject({ status: 429, body: { error: { code: "rate_limit_exceeded", message: "Rate limit exceeded: free-models-per-min." } } });
  });

  test("a stream that breaks off before finishing ends with the SSE error event", async () => {
    fake.handle(() => new Response('data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n', { headers: { "content-type": "text/event-stream" } }));
    const response = await fetch(`${gw.url}/v1/chat/completions`, jsonPost({ model: "gpt-4o-mini", messages, stream: true }));
    const text = await response.text();
    expect(text.endsWith(`data: {"error":{"message":"The upstream up ended the stream before the answer was finished.","type":"api_error","param":null,"code":"upstream_error"}}\n\n`)).toBe(true);
  });

  test("the key an upstream quotes in a 400 message is masked", async () => {
    fake.handle(() => jsonResponse({ error: { message: `Key ${KEY} may not set top_k`, type: "invalid_request_error", param: "top_k", code: null } }, 400));
    expect((await chat({ top_k: 3 })).body).toEqual({ error: { message: "Key *** may not set top_k", type: "invalid_request_error", param: "top_k", code: null } });
  });

  test("the key an upstream puts in its error's code, type or param is masked too, in the answer, the metrics and the log; an odd code is no metric label", async () => {
    for (const status of [400, 429, 500]) {
      fake.handle(() => jsonResponse({ error: { message: "Refused.", type: `t-${KEY}`, param: KEY, code: KEY } }, status));
      for (const stream of [false, true]) {
        const answer = await fetch(`${gw.url}/v1/responses`, jsonPost({ model: "gpt-4o-mini", input: "Hi", stream }));
        const text = await answer.text();
        expect(text).not.toContain(KEY);
      }
      expect(JSON.stringify((await chat({})).body)).not.toContain(KEY);
    }
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).not.toContain(KEY);
    expect(metrics).toContain('ollaix_upstream_errors_total{provider="up",code="other"}');
    expect(metrics).not.toContain('code="***"');
    expect(gw.logs.join("\n")).not.toContain(KEY);
  });

  test("a credential header from headers_env reaches the upstream, and is masked where the upstream echoes it (a probe: a file header's value reached the client and the log)", async () => {
    fake.handle((request) => jsonResponse({ error: { message: `internal: api-key=${request.headers["api-key"]}`, type: "server_error", code: null } }, 500));
    const answer = await chat({});
    expect(fake.requests.at(-1)!.headers["api-key"]).toBe(PROXY_KEY);
    expect(answer.status).toBe(502);
    expect(JSON.stringify(answer.body)).toContain("api-key=***");
    expect(gw.logs.join("\n")).not.toContain(PROXY_KEY);
  });
});
