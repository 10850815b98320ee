import { describe, expect, test } from "bun:test";
import { ERRORS } from "./__fixtures__/openai-wire.ts";
import { errorFromPayload, errorFromResponse, parseDuration, readFault, retryAfterSeconds, type ErrorContext } from "./map-error.ts";

const KEY = "sk-upstream-secret-5678";
const ctx: ErrorContext = {
  instance: "groq",
  requestedModel: "groq/llama-3",
  hasKey: true,
  redact: (text) => text.split(KEY).join("***"),
};
const NOW = Date.parse("2025-01-01T00:00:00Z");

/** The fields the core maps to the HTTP envelope, plus the message. */
function fieldsOf(error: Error) {
  const e = error as Error & { status: number; type: string; code: string | null; param: string | null; retryAfter?: number };
  return { status: e.status, type: e.type, code: e.code, param: e.param, message: e.message, retryAfter: e.retryAfter };
}

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  fieldsOf(
    errorFromResponse(
      { status, headers: new Headers(headers), body: typeof body === "string" ? body : JSON.stringify(body) },
      ctx,
      NOW,
    ),
  );

describe("errorFromResponse: the contract's error table", () => {
  test("404 → model_not_found naming the id the client asked for", () => {
    expect(answer(404, ERRORS.modelNotFound)).toEqual({
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model",
      message: "The model 'groq/llama-3' does not exist or you do not have access to it.",
      retryAfter: undefined,
    });
  });

  test("400 context_length_exceeded keeps the upstream's message, param and code", () => {
    expect(answer(400, ERRORS.contextLength)).toEqual({
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      param: "messages",
      message: ERRORS.contextLength.error.message,
      retryAfter: undefined,
    });
  });

  test.each([
    ["vLLM (old, top level)", 400, { object: "error", message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).", type: "BadRequestError", param: null, code: 400 }],
    ["llama.cpp", 400, { error: { code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error" } }],
    ["a 422", 422, { error: { message: "prompt has too many tokens for this model", type: "invalid_request_error" } }],
  ])("400/422 from %s is recognised as context_length_exceeded", (_server, status, body) => {
    expect(answer(status, body)).toMatchObject({ status: 400, type: "invalid_request_error", code: "context_length_exceeded" });
  });

  test("another 400 keeps the upstream's code and param; a numeric code is dropped", () => {
    expect(answer(400, { error: { message: "Invalid value for 'top_k'.", type: "invalid_request_error", param: "top_k", code: "invalid_value" } })).toMatchObject({
      status: 400,
      code: "invalid_value",
      param: "top_k",
      message: "Invalid value for 'top_k'.",
    });
    expect(answer(400, { error: "bad request from LM Studio" })).toMatchObject({ status: 400, code: null, param: null, message: "bad request from LM Studio" });
    expect(answer(422, { detail: "Field required" })).toMatchObject({ status: 400, message: "Field required" });
  });

  test.each([401, 403])("%i → 502 upstream_auth_failed; the key is never repeated, even when the upstream quotes it", (status) => {
    const mapped = answer(status, ERRORS.invalidKey(KEY));
    expect(mapped).toEqual({
      status: 502,
      type: "api_error",
      code: "upstream_auth_failed",
      param: null,
      message: `The gateway's key for groq was refused by the upstream (HTTP ${status}).`,
      retryAfter: undefined,
    });
    expect(JSON.stringify(mapped)).not.toContain(KEY);
  });

  test("401 without a configured key says that none is configured", () => {
    const error = errorFromResponse({ status: 401, headers: new Headers(), body: "" }, { ...ctx, hasKey: false }, NOW);
    expect(fieldsOf(error)).toMatchObject({
      status: 502,
      code: "upstream_auth_failed",
      message: "The upstream groq asks for a key (HTTP 401); the gateway has none configured for it (api_key_env).",
    });
  });

  test("429 keeps rate_limit_exceeded / insufficient_quota and the wait", () => {
    expect(answer(429, ERRORS.rateLimit, { "retry-after": "7" })).toEqual({
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      param: null,
      message: ERRORS.rateLimit.error.message,
      retryAfter: 7,
    });
    expect(answer(429, ERRORS.insufficientQuota)).toMatchObject({ status: 429, code: "insufficient_quota", retryAfter: undefined });
    expect(answer(429, "Too Many Requests")).toMatchObject({ status: 429, code: "rate_limit_exceeded", message: "The upstream groq is rate limiting the gateway." });
  });

  test.each([500, 502, 504])("%i → 502 upstream_error with the upstream's message", (status) => {
    expect(answer(status, ERRORS.server)).toEqual({
      status: 502,
      type: "api_error",
      code: "upstream_error",
      param: null,
      message: `The upstream groq failed (HTTP ${status}): The server had an error while processing your request. Sorry about that!`,
      retryAfter: undefined,
    });
  });

  test.each([503, 529])("%i (overloaded) → 502 upstream_error too, marked overloaded (Anthropic's surface answers 529 overloaded_error)", (status) => {
    const error = errorFromResponse({ status, headers: new Headers(), body: JSON.stringify(ERRORS.server) }, ctx, NOW) as Error & { status: number; code: string; overloaded?: boolean };
    expect([error.status, error.code, error.overloaded]).toEqual([502, "upstream_error", true]);
    expect(error.message).toBe(`The upstream groq is overloaded (HTTP ${status}): The server had an error while processing your request. Sorry about that!`);
  });

  test("an HTML error page: the status alone decides", () => {
    expect(answer(502, "<html><body>Bad Gateway</body></html>")).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream groq failed (HTTP 502)." });
  });

  test("508 loop_detected passes through as 508", () => {
    const body = { error: { message: "Request loop detected: this request has passed through 5 or more gateways (x-ollaix-hops).", type: "api_error", param: null, code: "loop_detected" } };
    expect(answer(508, body)).toEqual({ status: 508, type: "api_error", code: "loop_detected", param: null, message: body.error.message, retryAfter: undefined });
  });

  test("402 payment required (a spent account): 429 insufficient_quota, as OpenAI answers a spent quota; other 4xx: 502 naming the status; 408: 504", () => {
    expect(answer(402, { error: { message: "Insufficient credits", code: 402 } })).toMatchObject({
      status: 429,
      code: "insufficient_quota",
      message: "Insufficient credits",
    });
    expect(answer(402, "")).toMatchObject({ status: 429, code: "insufficient_quota", message: "The upstream groq says the gateway's account has no credit left (HTTP 402)." });
    expect(answer(409, { error: { message: "Conflict" } })).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream groq refused the request (HTTP 409): Conflict" });
    expect(answer(408, "")).toMatchObject({ status: 504, code: "upstream_timeout" });
    expect(answer(301, "")).toMatchObject({ status: 502, message: "The upstream groq answered with a redirect (HTTP 301); its base_url must be the address it serves on." });
  });

  test("404 during discovery (no model asked for) points at the base URL", () => {
    const error = errorFromResponse({ status: 404, headers: new Headers(), body: "" }, { ...ctx, requestedModel: undefined }, NOW);
    expect(fieldsOf(error)).toMatchObject({ status: 502, message: "The upstream groq answered 404: check that its base_url includes the version path (e.g. /v1)." });
  });

  test("the instance key is taken out of any upstream text", () => {
    expect(answer(400, { error: { message: `key ${KEY} may not use top_k` } }).message).toBe("key *** may not use top_k");
    expect(answer(500, { error: { message: `boom ${KEY}` } }).message).toBe("The upstream groq failed (HTTP 500): boom ***");
  });
});

describe("errorFromPayload: errors inside a body (stream events, OpenRouter's 200 errors)", () => {
  test.each([
    [{ error: { message: "The server had an error", type: "server_error", param: null, code: null } }, { status: 502, code: "upstream_error", message: "The upstream groq failed: The server had an error" }],
    [{ error: ERRORS.rateLimit.error }, { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" }],
    [{ error: { message: "quota", type: "insufficient_quota", code: "insufficient_quota" } }, { status: 429, code: "insufficient_quota" }],
    [{ error: ERRORS.contextLength.error }, { status: 400, code: "context_length_exceeded", param: "messages" }],
    [{ error: { message: "loop", type: "api_error", code: "loop_detected" } }, { status: 508, code: "loop_detected" }],
    [{ error: { message: "no such model", code: "model_not_found" } }, { status: 404, code: "model_not_found" }],
    [{ error: { message: "Provider returned error", code: 429 } }, { status: 429, code: "rate_limit_exceeded", message: "Provider returned error" }],
    [{ error: { message: "Upstream idle", code: 502 } }, { status: 502, code: "upstream_error", message: "The upstream groq failed (HTTP 502): Upstream idle" }],
    // LiteLLM's envelope gives the status as digits.
    [{ error: { message: "litellm.RateLimitError: slow down", type: "throttling_error", code: "429" } }, { status: 429, code: "rate_limit_exceeded", message: "litellm.RateLimitError: slow down" }],
    [{ error: { message: "litellm.BadRequestError: bad", type: null, param: null, code: "400" } }, { status: 400, code: null, message: "litellm.BadRequestError: bad" }],
    // llama.cpp's `error:` stream line: a numeric code and its own type for a prompt over the context.
    [{ error: { code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error" } }, { status: 400, code: "context_length_exceeded" }],
    [{ error: "plain text" }, { status: 502, message: "The upstream groq failed: plain text" }],
  ])("%j", (payload, expected) => {
    expect(fieldsOf(errorFromPayload(payload, ctx)!)).toMatchObject(expected);
  });

  test("a body without an error is none", () => {
    expect(errorFromPayload({ choices: [] }, ctx)).toBeUndefined();
    expect(errorFromPayload({ choices: [], error: null }, ctx)).toBeUndefined();
    expect(errorFromPayload("text", ctx)).toBeUndefined();
  });
});

describe("readFault", () => {
  test("keeps only the fields it knows, by type", () => {
    expect(readFault({ error: { message: "m", type: "t", param: "p", code: "c", extra: 1 } })).toEqual({ message: "m", type: "t", param: "p", code: "c" });
    expect(readFault({ error: { message: "m", code: 400 } })).toEqual({ message: "m", status: 400 });
    expect(readFault({ something: "else" })).toBeUndefined();
  });
});

describe("retryAfterSeconds", () => {
  test.each([
    [{ "retry-after": "20" }, 20],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after": "Wed, 01 Jan 2025 00:00:30 GMT" }, 30],
    [{ "retry-after": "Tue, 31 Dec 2024 23:59:00 GMT" }, 0],
    [{ "retry-after-ms": "1500" }, 1.5],
    [{ "retry-after-ms": "250", "retry-after": "9" }, 0.25],
    [{ "x-ratelimit-reset-requests": "1s" }, 1],
    [{ "x-ratelimit-reset-tokens": "6m0s" }, 360],
    [{ "x-ratelimit-reset-requests": "20ms" }, 0.02],
    [{ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s" }, 360],
    [{ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s", "x-ratelimit-remaining-requests": "0", "x-ratelimit-remaining-tokens": "5000" }, 1],
    [{ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "7.5s", "x-ratelimit-remaining-requests": "10", "x-ratelimit-remaining-tokens": "0" }, 7.5],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ])("%j → %p", (headers, seconds) => {
    expect(retryAfterSeconds(new Headers(headers), NOW)).toBe(seconds);
  });
});

describe("parseDuration", () => {
  test.each([
    ["1s", 1],
    ["6m0s", 360],
    ["20ms", 0.02],
    ["2m59.56s", 179.56],
    ["1h2m3.5s", 3723.5],
    ["500us", 0.0005],
    ["", undefined],
    ["10", undefined],
    ["1d", undefined],
    ["s1", undefined],
  ])("%p → %p", (text, seconds) => {
    const parsed = parseDuration(text);
    if (seconds === undefined) expect(parsed).toBeUndefined();
    else expect(parsed).toBeCloseTo(seconds, 9);
  });
});
