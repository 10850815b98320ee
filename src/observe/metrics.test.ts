import { describe, expect, test } from "bun:test";
import { Scrape } from "../../tests/helpers/prometheus.ts";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { GatewayMetrics } from "./metrics.ts";

const outcome = (o: Partial<RequestOutcome>): RequestOutcome => ({
  requestId: "req_1", surface: "chat", method: "POST", path: "/v1/chat/completions", status: 200, stream: false,
  startedAt: 0, durationMs: 120, upstreamMs: 119.5, model: "smart", ...o,
});

describe("GatewayMetrics", () => {
  test("a key's own limit (no provider called) counts as rate limited, with the limit; an upstream 429 as an upstream error", async () => {
    const metrics = new GatewayMetrics(() => 3);
    metrics.observe(outcome({ status: 429, error: "rate_limit_exceeded", key: "team-a", limit: "rpm" }));
    metrics.observe(outcome({ status: 429, error: "insufficient_quota", key: "team-a" }));
    metrics.observe(outcome({ status: 429, error: "rate_limit_exceeded", key: "team-a", provider: "openai", target: "openai/gpt-4o" }));
    // A full WebSocket connection or steer queue is the connection's, not a key limit (a probe: counted with limit="").
    metrics.observe(outcome({ status: 429, error: "websocket_queue_full", key: "team-a", surface: "responses", path: "/v1/responses" }));
    metrics.observe(outcome({ status: 429, error: "too_many_pending_steers", key: "team-a", surface: "responses", path: "/v1/responses" }));
    const m = new Scrape(await metrics.scrape());
    expect(m.value("ollaix_rate_limited_total", { key: "team-a", limit: "rpm" })).toBe(1);
    expect(m.value("ollaix_rate_limited_total", { key: "team-a", limit: "tokens_per_day" })).toBe(1);
    expect(m.value("ollaix_rate_limited_total")).toBe(2);
    expect(m.value("ollaix_upstream_errors_total", { provider: "openai", code: "rate_limit_exceeded" })).toBe(1);
    expect(m.value("ollaix_in_flight_requests")).toBe(3);
  });

  test("a token count (count_tokens, input_tokens) is a request, not a GenAI operation's duration", async () => {
    const metrics = new GatewayMetrics(() => 0);
    metrics.observe(outcome({ surface: "messages", path: "/v1/messages/count_tokens", model: "m" }));
    metrics.observe(outcome({ surface: "responses", path: "/v1/responses/input_tokens", model: "m" }));
    metrics.observe(outcome({ surface: "messages", path: "/v1/messages", model: "m", provider: "p" }));
    const m = new Scrape(await metrics.scrape());
    expect(m.value("ollaix_requests_total")).toBe(3);
    expect(m.histogram("gen_ai_server_request_duration_seconds", {}).count).toBe(1);
  });

  test("fallbacks, reasoning tokens, overhead and a client that left", async () => {
    const metrics = new GatewayMetrics(() => 0);
    metrics.observe(outcome({ provider: "ollama", target: "ollama/qwen3:8b", fallback: true, usage: { input: 10, output: 50, reasoning: 20 } }));
    metrics.observe(outcome({ provider: "ollama", status: 499, error: "client_gone", stream: true, ttftMs: 30 }));
    const m = new Scrape(await metrics.scrape());
    expect(m.value("ollaix_fallbacks_total", { model: "smart" })).toBe(1);
    expect(m.value("ollaix_tokens_total", { type: "reasoning", model: "smart" })).toBe(20);
    expect(m.histogram("ollaix_overhead_seconds", { model: "smart" })).toEqual({ count: 2, sum: 0.001 });
    expect(m.value("ollaix_upstream_errors_total")).toBe(0);
    expect(m.value("ollaix_requests_total", { status: "499" })).toBe(1);
  });

  test("the gen_ai_* families name the provider as the conventions do, count only the provider's own token figures and only calls that reached one; a histogram a request cannot feed never appears (a probe)", async () => {
    const metrics = new GatewayMetrics(() => 0, (instance) => (instance === "gemini" ? "gcp.gemini" : instance));
    metrics.observe(outcome({ provider: "gemini", model: "gemini-2.5-flash", usage: { input: 7, output: 3, reasoning: 0 } }));
    // A provider that reported no usage: the gateway's estimate, in ollaix_tokens_total only.
    metrics.observe(outcome({ provider: "gemini", model: "gemini-2.5-flash", usage: { input: 40, output: 9, reasoning: 0, estimated: true } }));
    // Refused before any provider (a bad key): no GenAI operation.
    metrics.observe(outcome({ status: 401, error: "invalid_api_key", model: "" }));
    metrics.observe(outcome({ surface: "embeddings", path: "/v1/embeddings", provider: "gemini", model: "text-embedding-004", usage: { input: 5, output: 0, reasoning: 0 } }));
    const text = await metrics.scrape();
    const m = new Scrape(text);
    const genAi = { gen_ai_provider_name: "gcp.gemini", gen_ai_request_model: "gemini-2.5-flash" };
    expect(m.histogram("gen_ai_server_request_duration_seconds", genAi).count).toBe(2);
    expect(m.histogram("gen_ai_client_token_usage", { ...genAi, gen_ai_token_type: "input" })).toEqual({ count: 1, sum: 7 });
    expect(m.histogram("gen_ai_client_token_usage", { ...genAi, gen_ai_token_type: "output" })).toEqual({ count: 1, sum: 3 });
    expect(m.value("ollaix_tokens_total", { type: "input", provider: "gemini", model: "gemini-2.5-flash" })).toBe(47);
    expect(m.histogram("gen_ai_server_request_duration_seconds", {}).count).toBe(3);
    expect(text).not.toContain('gen_ai_provider_name="gemini"');
    expect(text).not.toContain('gen_ai_provider_name=""');
    // Nothing streamed: no time-to-first-token series; embeddings: no output series.
    expect(text).not.toMatch(/time_to_first_token_seconds_count\{/);
    expect(text).not.toMatch(/gen_ai_operation_name="embeddings"[^}]*gen_ai_token_type="output"/);
  });
});
