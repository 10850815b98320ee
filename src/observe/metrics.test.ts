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
});
