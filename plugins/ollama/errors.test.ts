import { describe, expect, test } from "bun:test";
import { UpstreamError, UpstreamTimeoutError } from "../../src/kit.ts";
import { fromOllamaError, OllamaResponseError } from "./errors.ts";

const live = { signal: new AbortController().signal, requestedModel: "ollama/llama3:8b" };
const fields = (error: Error) => {
  const e = error as Error & { status: number; type: string; code: string | null; param: string | null };
  return { status: e.status, type: e.type, code: e.code, param: e.param, message: e.message };
};

describe("HTTP answers", () => {
  test.each([
    [404, `model "llama3:8b" not found, try pulling it first`, { status: 404, type: "invalid_request_error", code: "model_not_found", param: "model", message: "The model 'ollama/llama3:8b' does not exist or you do not have access to it." }],
    [404, "404 page not found", { status: 502, type: "api_error", code: "upstream_error", param: null, message: "Ollama answered HTTP 404: 404 page not found" }],
    [400, "invalid format: expected \"json\" or a JSON schema", { status: 400, type: "invalid_request_error", code: null, param: null, message: "invalid format: expected \"json\" or a JSON schema" }],
    [400, "input length exceeds the context length", { status: 400, type: "invalid_request_error", code: "context_length_exceeded", param: null, message: "input length exceeds the context length" }],
    [401, "unauthorized", { status: 502, type: "api_error", code: "upstream_auth_failed", param: null, message: "Ollama refused the gateway's credentials (HTTP 401)." }],
    [429, "too many requests", { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", param: null, message: "too many requests" }],
    [500, "llama runner process has terminated", { status: 502, type: "api_error", code: "upstream_error", param: null, message: "Ollama answered HTTP 500: llama runner process has terminated" }],
    [503, "server busy, please try again.  maximum pending requests exceeded", { status: 502, type: "api_error", code: "upstream_error", param: null, message: "Ollama answered HTTP 503: server busy, please try again.  maximum pending requests exceeded" }],
  ])("%i %s", (status, message, expected) => {
    expect(fields(fromOllamaError(new OllamaResponseError(message, status), live))).toEqual(expected);
  });

  test("ollama-js's own ResponseError (not exported: same fields) maps the same way", () => {
    const fromClient = Object.assign(new Error("model 'x' not found"), { name: "ResponseError", error: "model 'x' not found", status_code: 404 });
    expect(fields(fromOllamaError(fromClient, live)).code).toBe("model_not_found");
  });

  test("a 404 without a requested model (discovery) is not model_not_found", () => {
    expect(fields(fromOllamaError(new OllamaResponseError("model not found", 404), { signal: live.signal })).status).toBe(502);
  });
});

describe("transport", () => {
  test.each(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH"])("%s is 503 upstream_unavailable", (code) => {
    const error = Object.assign(new TypeError("Unable to connect."), { code });
    expect(fields(fromOllamaError(error, live))).toEqual({
      status: 503,
      type: "api_error",
      code: "upstream_unavailable",
      param: null,
      message: `Ollama is unreachable (${code}). Is it running at OLLAMA_BASE_URL?`,
    });
  });

  test("a reset connection is 502", () => {
    const error = Object.assign(new TypeError("The socket connection was closed unexpectedly."), { code: "ECONNRESET" });
    expect(fields(fromOllamaError(error, live)).code).toBe("upstream_error");
  });

  test("a body that is not JSON is 502", () => {
    expect(fields(fromOllamaError(new SyntaxError("Unexpected token <"), live)).message).toBe("Ollama sent a body that is not JSON.");
  });

  test("the kit's errors pass through", () => {
    const error = new UpstreamError("Ollama reported an error: boom");
    expect(fromOllamaError(error, live)).toBe(error);
  });
});

describe("aborts", () => {
  test("an abort by the core's time-out reports the time-out (its reason carries a status)", () => {
    const controller = new AbortController();
    const timeout = new UpstreamTimeoutError("The upstream did not answer within 10 ms.");
    controller.abort(timeout);
    expect(fromOllamaError(new DOMException("The operation was aborted.", "AbortError"), { signal: controller.signal })).toBe(timeout);
  });

  test("an abort because the client left reports that reason", () => {
    const controller = new AbortController();
    const gone = new Error("The client closed the connection.");
    controller.abort(gone);
    expect(fromOllamaError(gone, { signal: controller.signal })).toBe(gone);
  });
});
