import { describe, expect, test } from "bun:test";
import {
  AuthenticationError,
  InvalidRequestError,
  LoopDetectedError,
  ModelNotFoundError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../src/errors.ts";

describe("error classes: one per row of the contract's table", () => {
  // Named by class and status: `%p` of an Error prints its stack, which reads like a failure.
  const rows = [
    [new InvalidRequestError("x"), 400, "invalid_request_error", null, null],
    [new AuthenticationError("x"), 401, "authentication_error", "invalid_api_key", null],
    [new ModelNotFoundError("m"), 404, "invalid_request_error", "model_not_found", "model"],
    [new NotFoundError("x"), 404, "invalid_request_error", "not_found", null],
    [new PayloadTooLargeError("x"), 413, "invalid_request_error", "payload_too_large", null],
    [new RateLimitError("x"), 429, "rate_limit_error", "rate_limit_exceeded", null],
    [new UpstreamError("x"), 502, "api_error", "upstream_error", null],
    [new UpstreamAuthError("x"), 502, "api_error", "upstream_auth_failed", null],
    [new UpstreamUnavailableError("x"), 503, "api_error", "upstream_unavailable", null],
    [new UpstreamTimeoutError("x"), 504, "api_error", "upstream_timeout", null],
    [new LoopDetectedError("x"), 508, "api_error", "loop_detected", null],
  ] as const;
  test.each(rows.map((row) => [`${row[0].constructor.name} → ${row[1]}`, ...row] as const))("%s", (_name, error, status, type, code, param) => {
    expect(error).toMatchObject({ status, type, code, param });
  });

  test("a code or param given by the caller wins over the class default", () => {
    expect(new RateLimitError("q", { code: "insufficient_quota", retryAfter: 3 })).toMatchObject({ code: "insufficient_quota", retryAfter: 3 });
    expect(new InvalidRequestError("long", { code: "context_length_exceeded", param: "messages" })).toMatchObject({
      code: "context_length_exceeded",
      param: "messages",
    });
    expect(new ModelNotFoundError("m").message).toContain("'m'");
  });
});
