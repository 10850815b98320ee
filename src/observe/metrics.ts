/// <reference path="../types/prom-client-registry.d.ts" />
import type { Registry as RegistryType } from "prom-client";
import Registry from "prom-client/lib/registry.js";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import { CounterFamily, HistogramFamily, SampledGauge, type CounterSeries, type HistogramSeries } from "./families.ts";
import { errorLabel, isLocalRateLimit, isUpstreamFailure } from "./classify.ts";
import { isTokenCount, operationOf, type GenAiOperation } from "./operation.ts";

/**
 * Histogram buckets, in seconds. LLM latencies span four orders of magnitude: a cached embedding
 * answers in milliseconds, a long generation on a loaded Ollama in minutes.
 * - REQUEST: 5 ms … 5 min (the default UPSTREAM_TIMEOUT_MS), denser below 10 s where chats land.
 * - TTFT: 10 ms … 2 min; the first token is what an interactive user waits for.
 * - OVERHEAD: 50 µs … 1 s; the gateway's own time, expected well under a millisecond.
 * - GEN_AI_*: the boundaries the OpenTelemetry GenAI semantic conventions advise for
 *   `gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token` and
 *   `gen_ai.client.token.usage`, so dashboards built for those conventions work unchanged.
 */
export const BUCKETS = {
  REQUEST: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300],
  TTFT: [0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120],
  OVERHEAD: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  GEN_AI_DURATION: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  GEN_AI_TTFT: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  GEN_AI_TOKENS: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
} as const;

/** Status codes as label values, made once. */
const STATUS = new Map<number, string>();
const statusLabel = (status: number): string => {
  let label = STATUS.get(status);
  if (label === undefined) STATUS.set(status, (label = String(status)));
  return label;
};

/**
 * The series one label combination feeds, looked up once per combination. The histograms only some
 * requests feed (streams' time to first token, the GenAI token usage) are made at their first value:
 * an embeddings model shows no time to first token, nor a chat model never streamed.
 */
interface Series {
  labels: { surface: string; model: string; provider: string };
  genAi: { gen_ai_operation_name: GenAiOperation; gen_ai_provider_name: string; gen_ai_request_model: string };
  requests: CounterSeries;
  duration: HistogramSeries;
  overhead: HistogramSeries;
  ttft?: HistogramSeries;
  genAiTtft?: HistogramSeries;
  genAiInput?: HistogramSeries;
  genAiOutput?: HistogramSeries;
  input: CounterSeries;
  output: CounterSeries;
  reasoning: CounterSeries;
}

/**
 * The gateway's Prometheus metrics, fed by request outcomes (one `observe` per request). Label
 * values are bounded: the surface is one of five, the model a known id or route ("" otherwise), the
 * provider an instance name, the key a configured key's name, the status an HTTP status.
 */
export class GatewayMetrics {
  readonly registry: RegistryType = new Registry();
  readonly #requests = new CounterFamily("ollaix_requests_total", "Finished requests, by surface, model, provider, key name and HTTP status.");
  readonly #duration = new HistogramFamily("ollaix_request_duration_seconds", "Time from a request's arrival to its last byte.", BUCKETS.REQUEST);
  readonly #ttft = new HistogramFamily("ollaix_time_to_first_token_seconds", "Streams: time from a request's arrival to the provider's first token (text, reasoning or a tool call).", BUCKETS.TTFT);
  readonly #overhead = new HistogramFamily("ollaix_overhead_seconds", "Time spent in the gateway itself: the request's duration minus the time spent waiting on the provider.", BUCKETS.OVERHEAD);
  readonly #tokens = new CounterFamily("ollaix_tokens_total", "Tokens used, by type: input, output, and reasoning (the part of output spent thinking).");
  readonly #upstreamErrors = new CounterFamily("ollaix_upstream_errors_total", "Provider calls that failed (5xx, 429, unreachable, time-out), by provider instance and error code.");
  readonly #rateLimited = new CounterFamily("ollaix_rate_limited_total", "Requests refused by a key's own limits, by key name and limit.");
  readonly #fallbacks = new CounterFamily("ollaix_fallbacks_total", "Requests a route's fallback answered (or failed last), by requested model.");
  readonly #genAiDuration = new HistogramFamily("gen_ai_server_request_duration_seconds", "GenAI server request duration (OpenTelemetry GenAI semantic conventions).", BUCKETS.GEN_AI_DURATION);
  readonly #genAiTtft = new HistogramFamily("gen_ai_server_time_to_first_token_seconds", "Time to first token of streamed answers (OpenTelemetry GenAI semantic conventions).", BUCKETS.GEN_AI_TTFT);
  readonly #genAiTokens = new HistogramFamily("gen_ai_client_token_usage", "Tokens per request, by token type (OpenTelemetry GenAI semantic conventions).", BUCKETS.GEN_AI_TOKENS);
  readonly #series = new Map<string, Series>();
  readonly #genAiDurationSeries = new Map<string, HistogramSeries>();

  readonly #genAiName: (instance: string) => string;

  /**
   * `inFlight` is read when scraped (the pipeline keeps the count); `genAiName` gives a provider
   * instance's GenAI conventions name (`gcp.gemini`), as spans carry it.
   */
  constructor(inFlight: () => number, genAiName: (instance: string) => string = (instance) => instance) {
    this.#genAiName = genAiName;
    const inFlightGauge = new SampledGauge("ollaix_in_flight_requests", "Model requests being served now (streams until their last byte).", inFlight);
    for (const family of [
      this.#requests, this.#duration, this.#ttft, this.#overhead, this.#tokens, this.#upstreamErrors, this.#rateLimited,
      this.#fallbacks, inFlightGauge, this.#genAiDuration, this.#genAiTtft, this.#genAiTokens,
    ]) {
      // Structurally what prom-client's Registry reads from a metric (name, help, type, get()).
      this.registry.registerMetric(family as unknown as Parameters<RegistryType["registerMetric"]>[0]);
    }
  }

  /** Counts one finished request. */
  readonly observe = (o: RequestOutcome): void => {
    const provider = o.provider ?? "";
    const key = o.key ?? "";
    const operation = operationOf(o);
    const s = this.#seriesOf(o, operation, provider, key);
    s.requests.inc(1);
    const seconds = o.durationMs / 1000;
    s.duration.observe(seconds);
    s.overhead.observe(Math.max(0, o.durationMs - o.upstreamMs) / 1000);
    if (o.ttftMs !== undefined) {
      (s.ttft ??= this.#ttft.series(s.labels)).observe(o.ttftMs / 1000);
      // The GenAI conventions' time to first token is of successful responses only.
      if (o.error === undefined) (s.genAiTtft ??= this.#genAiTtft.series(s.genAi)).observe(o.ttftMs / 1000);
    }
    // A token count (`count_tokens`, `input_tokens`) is no GenAI operation: not timed beside real chat
    // calls; nor is a request refused before any provider (the conventions require the provider's name).
    if (o.provider !== undefined && !isTokenCount(o.path)) this.#genAiDurationOf(o, operation, s.genAi.gen_ai_provider_name).observe(seconds);
    const usage = o.usage;
    if (usage) {
      if (usage.input > 0) s.input.inc(usage.input);
      if (usage.output > 0) s.output.inc(usage.output);
      if (usage.reasoning > 0) s.reasoning.inc(usage.reasoning);
      // The conventions' token usage is the provider's count: the gateway's estimate (a provider that
      // reports none, a call given up before its answer) "MUST NOT" be reported there.
      if (usage.estimated !== true) {
        (s.genAiInput ??= this.#genAiTokens.series({ ...s.genAi, gen_ai_token_type: "input" })).observe(usage.input);
        if (operation !== "embeddings") (s.genAiOutput ??= this.#genAiTokens.series({ ...s.genAi, gen_ai_token_type: "output" })).observe(usage.output);
      }
    }
    if (o.error !== undefined) {
      if (isUpstreamFailure(o)) this.#upstreamErrors.series({ provider, code: errorLabel(o.error) }).inc(1);
      else if (isLocalRateLimit(o)) {
        this.#rateLimited.series({ key, limit: o.limit ?? "tokens_per_day" }).inc(1);
      }
    }
    if (o.fallback) this.#fallbacks.series({ model: o.model }).inc(1);
    // A route's failures it tried again after (their provider's own, each counted once).
    if (o.failedTries !== undefined) for (const f of o.failedTries) this.#upstreamErrors.series({ provider: f.provider, code: errorLabel(f.code) }).inc(1);
  };

  /** The exposition (text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #seriesOf(o: RequestOutcome, operation: GenAiOperation, provider: string, key: string): Series {
    const status = statusLabel(o.status);
    const id = `${o.surface}\u0000${operation}\u0000${o.model}\u0000${provider}\u0000${key}\u0000${status}`;
    let s = this.#series.get(id);
    if (s === undefined) {
      const labels = { surface: o.surface, model: o.model, provider };
      const genAi = { gen_ai_operation_name: operation, gen_ai_provider_name: provider === "" ? "" : this.#genAiName(provider), gen_ai_request_model: o.model };
      s = {
        labels,
        genAi,
        requests: this.#requests.series({ ...labels, key, status }),
        duration: this.#duration.series(labels),
        overhead: this.#overhead.series(labels),
        input: this.#tokens.series({ type: "input", ...labels, key }),
        output: this.#tokens.series({ type: "output", ...labels, key }),
        reasoning: this.#tokens.series({ type: "reasoning", ...labels, key }),
      };
      this.#series.set(id, s);
    }
    return s;
  }

  #genAiDurationOf(o: RequestOutcome, operation: GenAiOperation, genAiProvider: string): HistogramSeries {
    const errorType = o.error === undefined ? "" : errorLabel(o.error);
    const id = `${operation}\u0000${o.model}\u0000${genAiProvider}\u0000${errorType}`;
    let h = this.#genAiDurationSeries.get(id);
    if (h === undefined) {
      h = this.#genAiDuration.series({ gen_ai_operation_name: operation, gen_ai_provider_name: genAiProvider, gen_ai_request_model: o.model, error_type: errorType });
      this.#genAiDurationSeries.set(id, h);
    }
    return h;
  }
}

