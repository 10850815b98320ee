import { expect, test } from "bun:test";
import { mapError } from "../../error-response.ts";
import * as errors from "../../errors.ts";
import { ndjsonError, ollamaEnvelope } from "./ndjson.ts";

const redact = (t: string) => t;

// Ollama has one error shape, `{"error": "<message>"}`; the status says what happened.
test.each([
  [new errors.AuthenticationError("who?"), 401],
  [new errors.PermissionError("not this model"), 403],
  [new errors.ModelNotFoundError("model 'x' not found"), 404],
  [new errors.RateLimitError("slow down", { retryAfter: 7 }), 429],
  [new errors.QuotaError("daily budget spent", { retryAfter: 7 }), 429],
  [new errors.StateUnavailableError("limits state away"), 503],
  [new errors.UpstreamError("garbage"), 502],
  [new errors.UpstreamUnavailableError("down"), 503],
  [new Error("secret internals"), 500],
] as const)("%s → %i {error}", (error, status) => {
  const answer = ollamaEnvelope(mapError(error, redact));
  expect(answer.status).toBe(status);
  const body = JSON.parse(answer.body);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error).toBe("string");
  expect(answer.body).not.toContain("secret internals");
  if (status === 429) expect(answer.headers["retry-after"]).toBe("7");
});

test("a key's refusal keeps its x-ratelimit-* headers; a failure mid-stream is one {error} line", () => {
  const refusal = Object.assign(new errors.RateLimitError("slow down", { retryAfter: 12 }), {
    responseHeaders: { "x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "0" },
  });
  const answer = ollamaEnvelope(mapError(refusal, redact));
  expect(answer.headers).toMatchObject({ "retry-after": "12", "x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "0" });
  expect(ndjsonError(mapError(new errors.UpstreamError("garbage"), redact))).toBe('{"error":"garbage"}\n');
});
