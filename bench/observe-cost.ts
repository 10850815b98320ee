/**
 * `bun bench/observe-cost.ts`: what observing one request costs on the hot path — the Prometheus
 * metrics (`GatewayMetrics.observe`) and the request log line (`requestLog`, through the real
 * logger and `process.stdout.write`; redirect stdout to a file or /dev/null) — in µs per request,
 * median of several rounds. Prints JSON on stderr: { metricsUs, logUs, totalUs }.
 */
import { createLogger, SecretList } from "../src/logger.ts";
import { GatewayMetrics } from "../src/observe/metrics.ts";
import { requestLog } from "../src/observe/request-log.ts";
import type { RequestOutcome } from "../src/pipeline/outcome.ts";

const N = Number(process.env.OBSERVE_COST_N ?? 200_000);
const ROUNDS = 7;

const outcomes: RequestOutcome[] = ["dummy-model:1.0", "gpt-4o-mini", "llama3:8b", ""].flatMap((model, m) =>
  [200, 200, 200, 429, 502].map((status, i) => ({
    requestId: `req_${m}${i}0123456789abcdef01234567`,
    surface: i % 2 === 0 ? ("chat" as const) : ("embeddings" as const),
    method: "POST",
    path: i % 2 === 0 ? "/v1/chat/completions" : "/v1/embeddings",
    status,
    stream: i === 2,
    startedAt: performance.now(),
    durationMs: 12.3 + i,
    ttftMs: i === 2 ? 4.5 : undefined,
    upstreamMs: 11.9,
    model,
    target: model ? `openai/${model}` : undefined,
    provider: model ? "openai" : undefined,
    key: "team-a",
    usage: status === 200 ? { input: 25, output: 120, reasoning: i === 2 ? 30 : 0 } : undefined,
    finishReason: status === 200 ? "stop" : undefined,
    error: status === 200 ? undefined : status === 429 ? "rate_limit_exceeded" : "upstream_error",
  })),
);

function perRequestUs(fn: (o: RequestOutcome) => void): number {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) fn(outcomes[i % outcomes.length]!);
    rounds.push(((performance.now() - t0) * 1000) / N);
  }
  rounds.sort((a, b) => a - b);
  return rounds[ROUNDS >> 1]!;
}

const metrics = new GatewayMetrics(() => 0);
const secrets = new SecretList();
secrets.add("sk-admin-0123456789", "provider-key-abcdef");
const logger = createLogger({ level: "info", redact: secrets.redact });
const log = requestLog(logger);
// Warm-up, so both run optimised code.
for (let i = 0; i < 20_000; i++) {
  metrics.observe(outcomes[i % outcomes.length]!);
  log(outcomes[i % outcomes.length]!);
}
const metricsUs = perRequestUs(metrics.observe);
const logUs = perRequestUs(log);
const both = perRequestUs((o) => {
  metrics.observe(o);
  log(o);
});
const scrapeStart = performance.now();
const text = await metrics.scrape();
const scrapeMs = performance.now() - scrapeStart;
process.stderr.write(
  `${JSON.stringify({ n: N, metricsUs: +metricsUs.toFixed(3), logUs: +logUs.toFixed(3), totalUs: +both.toFixed(3), scrapeMs: +scrapeMs.toFixed(2), scrapeBytes: text.length })}\n`,
);
