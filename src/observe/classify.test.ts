import { describe, expect, test } from "bun:test";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { errorLabel, isUpstreamFailure } from "./classify.ts";

const outcome = (status: number, error: string | undefined, provider: string | null = "openai"): RequestOutcome => ({
  requestId: "r", surface: "responses", method: "POST", path: "/v1/responses", status, stream: true,
  startedAt: 0, durationMs: 1, upstreamMs: 1, model: "m", provider: provider ?? undefined, error,
});

describe("isUpstreamFailure", () => {
  test("the provider's failures and rate limits", () => {
    expect(isUpstreamFailure(outcome(502, "upstream_error"))).toBe(true);
    expect(isUpstreamFailure(outcome(504, "upstream_timeout"))).toBe(true);
    expect(isUpstreamFailure(outcome(429, "rate_limit_exceeded"))).toBe(true);
  });

  test("not what the gateway or its client chose: a client gone, a cancel, a shutdown, a lost lease, the shared state after the answer", () => {
    for (const [status, code] of [[499, "client_gone"], [499, "response_cancelled"], [503, "server_shutting_down"], [503, "lease_lost"], [503, "state_unavailable"]] as const) {
      expect(isUpstreamFailure(outcome(status, code))).toBe(false);
    }
  });

  test("not a request no provider was called for, nor the client's own 4xx", () => {
    expect(isUpstreamFailure(outcome(502, "upstream_error", null))).toBe(false);
    expect(isUpstreamFailure(outcome(400, "invalid_request_error"))).toBe(false);
    expect(isUpstreamFailure(outcome(200, undefined))).toBe(false);
  });
});

describe("errorLabel", () => {
  test("the gateway's, OpenAI's and Anthropic's codes stay; any other code an upstream makes up is `other` (no series a request)", () => {
    for (const code of ["client_gone", "upstream_timeout", "rate_limit_exceeded", "context_length_exceeded", "overloaded_error", "stream_failed"]) expect(errorLabel(code)).toBe(code);
    for (const code of ["quota_req_5", "bad_req_3", "sk-abc123", "Some Message", ""]) expect(errorLabel(code)).toBe("other");
  });
});
