import { describe, expect, test } from "bun:test";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { shownEndpoint, spanAttributes } from "./otel-sdk.ts";

const outcome = (o: Partial<RequestOutcome>): RequestOutcome => ({
  requestId: "req_1",
  surface: "chat",
  method: "POST",
  path: "/v1/chat/completions",
  status: 200,
  stream: false,
  startedAt: 0,
  durationMs: 5,
  upstreamMs: 4,
  model: "m",
  ...o,
});

describe("spanAttributes", () => {
  test("http.response.status_code is the status the client got: a stream that failed after its first chunk went out as 200", () => {
    const failedMidway = spanAttributes(outcome({ stream: true, streamStarted: true, ttftMs: 12, status: 502, error: "upstream_error" }));
    expect(failedMidway["http.response.status_code"]).toBe(200);
    expect(failedMidway["error.type"]).toBe("upstream_error");
    // Started, and failed before any token came: still a 200 stream.
    expect(spanAttributes(outcome({ stream: true, streamStarted: true, status: 502, error: "upstream_error" }))["http.response.status_code"]).toBe(200);
    // Before its first chunk a stream's failure is an HTTP error, and so is a non-stream one.
    expect(spanAttributes(outcome({ stream: true, status: 502, error: "upstream_error" }))["http.response.status_code"]).toBe(502);
    expect(spanAttributes(outcome({ status: 404, error: "model_not_found" }))["http.response.status_code"]).toBe(404);
  });
});

describe("a token count's span", () => {
  test("is no GenAI operation: no gen_ai.operation.name (a chat it is not), its own operation instead", () => {
    for (const path of ["/v1/messages/count_tokens", "/v1/responses/input_tokens"]) {
      const a = spanAttributes(outcome({ path, surface: path.startsWith("/v1/messages") ? "messages" : "responses" }));
      expect(a["gen_ai.operation.name"]).toBeUndefined();
      expect(a["ollaix.operation"]).toBe("count_tokens");
    }
    expect(spanAttributes(outcome({ path: "/v1/messages", surface: "messages" }))["gen_ai.operation.name"]).toBe("chat");
  });
});

describe("shownEndpoint", () => {
  test("a query string (where a collector's key may ride) is not shown", () => {
    expect(shownEndpoint("https://collector.example/v1/traces?api_key=QSECRET123")).toBe("https://collector.example/v1/traces?…");
    expect(shownEndpoint("http://127.0.0.1:4318/v1/traces#frag")).toBe("http://127.0.0.1:4318/v1/traces#…");
    expect(shownEndpoint("http://127.0.0.1:4318/v1/traces")).toBe("http://127.0.0.1:4318/v1/traces");
  });
});
