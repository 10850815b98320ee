import { describe, expect, test } from "bun:test";
import { UpstreamTimeoutError } from "./errors.ts";
import { ClientGoneError } from "./request-scope.ts";
import { classifyUpstreamFailure, fromHttpStatus, networkCodeOf } from "./upstream-failure.ts";

const ctx = { provider: "the upstream acme", requestedModel: "acme/m1" };
const fields = (e: Error) => {
  const f = e as Error & { status: number; code: string | null };
  return { status: f.status, code: f.code };
};
const withCode = (code: string, message = "fetch failed") => Object.assign(new TypeError(message), { code });

describe("classifyUpstreamFailure: transport", () => {
  test.each([
    ["ECONNREFUSED", "connecting", 503, "upstream_unavailable"],
    ["ConnectionRefused", "connecting", 503, "upstream_unavailable"],
    ["ENOTFOUND", "connecting", 503, "upstream_unavailable"],
    ["EAI_AGAIN", "connecting", 503, "upstream_unavailable"],
    ["EHOSTUNREACH", "connecting", 503, "upstream_unavailable"],
    ["FailedToOpenSocket", "connecting", 503, "upstream_unavailable"],
    ["ECONNRESET", "connecting", 502, "upstream_error"],
    ["ECONNREFUSED", "reading", 502, "upstream_error"],
    ["ECONNRESET", "reading", 502, "upstream_error"],
    ["ETIMEDOUT", "connecting", 504, "upstream_timeout"],
    ["UND_ERR_HEADERS_TIMEOUT", "reading", 504, "upstream_timeout"],
  ] as const)("%s while %s → %i %s", (code, stage, status, kitCode) => {
    const error = classifyUpstreamFailure(withCode(code), { ...ctx, stage });
    expect(fields(error)).toEqual({ status, code: kitCode });
    expect(error.message).toContain(code);
  });

  test("the code may sit on the cause (undici)", () => {
    const error = new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    expect(networkCodeOf(error)).toBe("ECONNREFUSED");
    expect(fields(classifyUpstreamFailure(error, ctx))).toEqual({ status: 503, code: "upstream_unavailable" });
  });

  test("a TypeError without a code while connecting is unreachable, with the hint", () => {
    const error = classifyUpstreamFailure(new TypeError("Unable to connect"), { ...ctx, provider: "Ollama", unreachableHint: "Is it running?" });
    expect(fields(error)).toEqual({ status: 503, code: "upstream_unavailable" });
    expect(error.message).toBe("Ollama is unreachable. Is it running?");
  });

  test("a body that is not JSON, and anything else, is 502 upstream_error", () => {
    expect(fields(classifyUpstreamFailure(new SyntaxError("Unexpected token <"), ctx))).toEqual({ status: 502, code: "upstream_error" });
    expect(fields(classifyUpstreamFailure(new Error("weird"), ctx))).toEqual({ status: 502, code: "upstream_error" });
  });

  test("kit errors pass through unchanged", () => {
    const own = new UpstreamTimeoutError("slow");
    expect(classifyUpstreamFailure(own, ctx)).toBe(own);
  });
});

describe("classifyUpstreamFailure: aborts report why the core aborted", () => {
  test("a core time-out: its reason, whatever the call threw", () => {
    const controller = new AbortController();
    const timeout = new UpstreamTimeoutError("The upstream did not answer within 10 ms.");
    controller.abort(timeout);
    expect(classifyUpstreamFailure(new DOMException("aborted", "AbortError"), { ...ctx, signal: controller.signal })).toBe(timeout);
  });

  test("AbortSignal.timeout(): 504", () => {
    const controller = new AbortController();
    controller.abort(new DOMException("timed out", "TimeoutError"));
    expect(fields(classifyUpstreamFailure(new Error("x"), { ...ctx, signal: controller.signal }))).toEqual({ status: 504, code: "upstream_timeout" });
  });

  test("the client left: the ClientGoneError reason (nobody hears it)", () => {
    const controller = new AbortController();
    const gone = new ClientGoneError();
    controller.abort(gone);
    expect(classifyUpstreamFailure(new DOMException("aborted", "AbortError"), { ...ctx, signal: controller.signal })).toBe(gone);
  });
});

describe("fromHttpStatus", () => {
  test.each([
    [400, "bad", 400, null],
    [422, "unprocessable", 400, null],
    [401, "bad key sk-123", 502, "upstream_auth_failed"],
    [403, "forbidden", 502, "upstream_auth_failed"],
    [404, "model not found", 404, "model_not_found"],
    [404, "no such route", 502, "upstream_error"],
    [408, "", 504, "upstream_timeout"],
    [429, "slow down", 429, "rate_limit_exceeded"],
    [500, "boom", 502, "upstream_error"],
    [503, "busy", 502, "upstream_error"],
    [302, "", 502, "upstream_error"],
  ] as const)("HTTP %i %p → %i %s", (status, message, expected, code) => {
    expect(fields(fromHttpStatus({ status, message }, ctx))).toEqual({ status: expected, code });
  });

  test("a refused key is never echoed", () => {
    expect(fromHttpStatus({ status: 401, message: "key sk-123 is wrong" }, ctx).message).not.toContain("sk-123");
  });

  test("429 keeps the upstream's code and its wait", () => {
    const error = fromHttpStatus({ status: 429, message: "quota", code: "insufficient_quota", retryAfter: 7 }, ctx) as Error & { code: string; retryAfter: number };
    expect([error.code, error.retryAfter]).toEqual(["insufficient_quota", 7]);
  });

  test("a 5xx keeps the upstream's wait (a 503's Retry-After): a route's next try waits for it", () => {
    expect((fromHttpStatus({ status: 503, message: "busy", retryAfter: 4 }, ctx) as Error & { retryAfter: number }).retryAfter).toBe(4);
    expect((fromHttpStatus({ status: 500, message: "boom" }, ctx) as Error & { retryAfter?: number }).retryAfter).toBeUndefined();
  });

  test("a busy or overloaded upstream (503, 529) is marked so: Anthropic's surface answers 529 overloaded_error; a 500 is not", () => {
    const overloaded = (status: number) => (fromHttpStatus({ status, message: "busy" }, ctx) as Error & { overloaded?: boolean }).overloaded;
    expect([overloaded(503), overloaded(529), overloaded(500), overloaded(502)]).toEqual([true, true, undefined, undefined]);
  });

  test("context too long is recognisable", () => {
    expect((fromHttpStatus({ status: 400, message: "too long", contextTooLong: true }, ctx) as Error & { code: string }).code).toBe("context_length_exceeded");
  });

  test("a 404 without a requested model (discovery) is never model_not_found", () => {
    expect(fields(fromHttpStatus({ status: 404, message: "model x not found" }, { provider: "Ollama" }))).toEqual({ status: 502, code: "upstream_error" });
  });
});
