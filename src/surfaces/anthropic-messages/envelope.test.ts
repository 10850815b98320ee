import { expect, test } from "bun:test";
import { mapError } from "../../error-response.ts";
import * as errors from "../../errors.ts";
import { anthropicEnvelope } from "./envelope.ts";

const redact = (t: string) => t;

test.each([
  [new errors.InvalidRequestError("bad"), 400, "invalid_request_error"],
  [new errors.AuthenticationError("who?"), 401, "authentication_error"],
  [Object.assign(new errors.OllaixError("no"), { status: 403, type: "permission_error" }), 403, "permission_error"],
  [new errors.PermissionError("not this model"), 403, "permission_error"],
  [new errors.QuotaError("daily budget spent", { retryAfter: 7 }), 429, "rate_limit_error"],
  [new errors.StateUnavailableError("limits state away"), 529, "overloaded_error"],
  [new errors.ModelNotFoundError("m"), 404, "not_found_error"],
  [new errors.PayloadTooLargeError("big"), 413, "request_too_large"],
  [new errors.RateLimitError("slow down", { retryAfter: 7 }), 429, "rate_limit_error"],
  [new errors.UpstreamUnavailableError("down"), 529, "overloaded_error"],
  [new errors.UpstreamError("garbage"), 502, "api_error"],
  [new errors.UpstreamAuthError("key refused"), 502, "api_error"],
  [new errors.UpstreamTimeoutError("slow"), 504, "timeout_error"],
  [new Error("secret internals"), 500, "api_error"],
] as const)("%s → %i %s", (error, status, type) => {
  const answer = anthropicEnvelope(mapError(error, redact));
  expect(answer.status).toBe(status);
  const body = JSON.parse(answer.body);
  expect(body).toEqual({ type: "error", error: { type, message: body.error.message }, request_id: null });
  expect(answer.body).not.toContain("secret internals");
  if (status === 429) expect(answer.headers["retry-after"]).toBe("7");
});

test("a key's refusal keeps its x-ratelimit-* headers and Retry-After", () => {
  const refusal = Object.assign(new errors.RateLimitError("slow down", { retryAfter: 12 }), {
    responseHeaders: { "x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "12s" },
  });
  const answer = anthropicEnvelope(mapError(refusal, redact));
  expect(answer.status).toBe(429);
  expect(answer.headers).toMatchObject({ "retry-after": "12", "x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "0" });
});
