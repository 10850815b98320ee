import { describe, expect, test } from "bun:test";
import { UpstreamTimeoutError } from "../../src/kit.ts";
import apiKeyInvalid from "./__fixtures__/error-api-key-invalid.json";
import contextTooLong from "./__fixtures__/error-context-too-long.json";
import internal from "./__fixtures__/error-internal.json";
import missingSignature from "./__fixtures__/error-missing-thought-signature.json";
import modelNotFound from "./__fixtures__/error-model-not-found.json";
import overloaded from "./__fixtures__/error-overloaded.json";
import permissionDenied from "./__fixtures__/error-permission-denied.json";
import rateLimited from "./__fixtures__/error-rate-limited.json";
import unauthenticated from "./__fixtures__/error-unauthenticated.json";
import { fromGeminiError, parseGoogleError, retryAfterOf } from "./errors.ts";

/** What @google/genai throws for an HTTP error: `ApiError`, the JSON body as its message. */
const apiError = (status: number, body: unknown, prefix = "") => Object.assign(new Error(prefix + JSON.stringify(body)), { name: "ApiError", status });
const live = { signal: new AbortController().signal, requestedModel: "gemini/gemini-9.9-ultra" };
const map = (error: unknown) => fromGeminiError(error, live);

describe("fromGeminiError: HTTP errors (the contract's table)", () => {
  test("400 API_KEY_INVALID → 502 upstream_auth_failed; Gemini's details (which may repeat the key) are not echoed", () => {
    const body = structuredClone(apiKeyInvalid) as { error: { details: unknown[] } };
    body.error.details.push({ "@type": "type.googleapis.com/google.rpc.DebugInfo", detail: "Invalid API key: test-key-123456" });
    const mapped = map(apiError(400, body));
    expect(mapped).toMatchObject({
      status: 502,
      type: "api_error",
      code: "upstream_auth_failed",
      message: "Gemini refused the gateway's Gemini API key (API_KEY_INVALID); check GEMINI_API_KEY.",
    });
    expect(String((mapped as Error).message)).not.toContain("test-key-123456");
  });

  test.each([
    [401, unauthenticated, "Gemini refused the gateway's Gemini API key (UNAUTHENTICATED); check GEMINI_API_KEY."],
    [403, permissionDenied, "Gemini refused the gateway's Gemini API key (PERMISSION_DENIED); check GEMINI_API_KEY."],
  ])("%i → 502 upstream_auth_failed", (status, body, message) => {
    expect(map(apiError(status, body))).toMatchObject({ status: 502, code: "upstream_auth_failed", message });
  });

  test("other 400 → 400 with Gemini's message", () => {
    expect(map(apiError(400, missingSignature))).toMatchObject({ status: 400, type: "invalid_request_error", code: null, message: missingSignature.error.message });
  });

  test("a too-long prompt → 400 context_length_exceeded", () => {
    expect(map(apiError(400, contextTooLong))).toMatchObject({
      status: 400,
      code: "context_length_exceeded",
      message: "The input token count (1290012) exceeds the maximum number of tokens allowed (1048576).",
    });
  });

  test("429 → 429 rate_limit_exceeded with retryAfter from RetryInfo", () => {
    expect(map(apiError(429, rateLimited))).toMatchObject({ status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", retryAfter: 37, message: `Gemini rate limit: ${rateLimited.error.message}` });
  });

  test("404 → 404 model_not_found naming the model the client asked for", () => {
    expect(map(apiError(404, modelNotFound))).toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
      message: "The model 'gemini/gemini-9.9-ultra' does not exist or you do not have access to it.",
    });
  });

  test.each([
    [500, internal, `Gemini answered HTTP 500: ${internal.error.message}`],
    [503, overloaded, "Gemini answered HTTP 503: The model is overloaded. Please try again later."],
  ])("%i → 502 upstream_error", (status, body, message) => {
    expect(map(apiError(status, body))).toMatchObject({ status: 502, code: "upstream_error", message });
  });

  test("503 is marked overloaded (Anthropic's surface answers 529 overloaded_error); 500 is not", () => {
    expect((map(apiError(503, overloaded)) as { overloaded?: boolean }).overloaded).toBe(true);
    expect((map(apiError(500, internal)) as { overloaded?: boolean }).overloaded).toBeUndefined();
  });

  test("a 503 with Google's RetryInfo keeps its wait (a route's next try waits for it)", () => {
    const withRetry = { error: { ...overloaded.error, details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12s" }] } };
    expect(map(apiError(503, withRetry))).toMatchObject({ status: 502, retryAfter: 12 });
    expect((map(apiError(503, overloaded)) as { retryAfter?: number }).retryAfter).toBeUndefined();
  });

  test("an error event inside a stream (`got status: …` prefix) maps the same way", () => {
    expect(map(apiError(429, rateLimited, "got status: RESOURCE_EXHAUSTED. "))).toMatchObject({ status: 429, retryAfter: 37 });
  });

  test("a non-JSON error body wrapped by the SDK, itself Google's envelope in an array", () => {
    const wrapped = { error: { message: JSON.stringify([apiKeyInvalid]), code: 400, status: "Bad Request" } };
    expect(map(apiError(400, wrapped))).toMatchObject({ status: 502, code: "upstream_auth_failed" });
  });

  test("a plain-text 502 from a proxy → 502 upstream_error with the text", () => {
    expect(map(apiError(502, { error: { message: "Bad gateway", code: 502, status: "Bad Gateway" } }))).toMatchObject({ status: 502, message: "Gemini answered HTTP 502: Bad gateway" });
  });
});

describe("fromGeminiError: transport and aborts", () => {
  test("connection refused → 503 upstream_unavailable", () => {
    const refused = Object.assign(new TypeError("Unable to connect. Is the computer able to access the url?"), { code: "ECONNREFUSED" });
    expect(map(refused)).toMatchObject({ status: 503, code: "upstream_unavailable", message: "Gemini is unreachable (ECONNREFUSED)." });
  });

  test("a connection reset while reading → 502: Gemini broke off its answer (the kit's one classifier)", () => {
    expect(map(Object.assign(new Error("The socket connection was closed unexpectedly."), { code: "ECONNRESET" }))).toMatchObject({
      status: 502,
      code: "upstream_error",
    });
  });

  test("anything else the SDK throws while reading → 502 upstream_error", () => {
    expect(map(new Error("exception parsing stream chunk {oops. SyntaxError"))).toMatchObject({ status: 502, code: "upstream_error" });
  });

  test("our own kit errors pass through", () => {
    const own = new UpstreamTimeoutError("slow");
    expect(map(own)).toBe(own);
  });

  test("aborted by a core time-out: the signal's reason (504), whatever the SDK threw", () => {
    const controller = new AbortController();
    const timeout = new UpstreamTimeoutError("The upstream did not answer within 10 ms (chat completion).");
    controller.abort(timeout);
    expect(fromGeminiError(new DOMException("The operation was aborted.", "AbortError"), { ...live, signal: controller.signal })).toBe(timeout);
  });

  test("aborted because the client left: the abort's reason (nobody hears it)", () => {
    const controller = new AbortController();
    const gone = new Error("The client closed the connection.");
    controller.abort(gone);
    const abort = new DOMException("The operation was aborted.", "AbortError");
    expect(fromGeminiError(abort, { ...live, signal: controller.signal })).toBe(gone);
  });
});

describe("parseGoogleError and retryAfterOf", () => {
  test("garbage is undefined", () => {
    expect(parseGoogleError("not json")).toBeUndefined();
    expect(parseGoogleError('{"no":"error"}')).toBeUndefined();
  });
  test.each([
    ["37s", 37],
    ["0.5s", 0.5],
    [{ seconds: "2", nanos: 500000000 }, 2.5],
    ["soon", undefined],
  ])("retryDelay %p → %p", (retryDelay, seconds) => {
    expect(retryAfterOf({ details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] })).toBe(seconds);
  });
  test("no RetryInfo, no hint", () => {
    expect(retryAfterOf({ details: [] })).toBeUndefined();
  });
});
