import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { OutcomeBus } from "../pipeline/outcome.ts";
import type { ModelRegistry } from "../registry.ts";
import { GatewayMetrics } from "./metrics.ts";
import { Readiness, type ReadinessCheck } from "./readiness.ts";
import { requestLog } from "./request-log.ts";
import { observeRoutes } from "./routes.ts";
import { stampTrace, type TraceStamp } from "./trace-stamp.ts";
import { startTracing, type Tracing } from "./tracing.ts";

export interface ObservabilityOptions {
  config: Readonly<Config>;
  logger: Logger;
  registry: ModelRegistry;
  redact: (text: string) => string;
  outcomes: OutcomeBus;
  version: string;
  /** Dependencies readiness waits for besides the providers (e.g. Redis). */
  checks?: readonly ReadinessCheck[];
}

export interface Observability {
  metrics: GatewayMetrics;
  readiness: Readiness;
  routes: ReturnType<typeof observeRoutes>;
  /** Set only when tracing is on. */
  stampTrace?: (request: Request) => TraceStamp;
  shutdown(): Promise<void>;
}

/**
 * Metrics, the request log and (when an OTLP endpoint is configured) traces, all fed by the
 * pipeline's one outcome per request; `/metrics` and `/health/ready`.
 */
export async function startObservability(o: ObservabilityOptions): Promise<Observability> {
  const { outcomes } = o;
  // Instances are added before this runs and never change: their conventional names (`gcp.gemini`,
  // `openai`), looked up once each, the same in spans and in the gen_ai_* metrics.
  const names = new Map(o.registry.providers.map((provider) => [provider.name, provider.genAiProviderName ?? provider.name]));
  const genAiName = (instance: string) => names.get(instance) ?? instance;
  const metrics = new GatewayMetrics(() => outcomes.inFlight, genAiName);
  outcomes.subscribe(metrics.observe);
  outcomes.subscribe(requestLog(o.logger));
  let tracing: Tracing | undefined;
  if (o.config.otel) {
    tracing = await startTracing(o.config.otel, o.logger, o.version, genAiName);
    outcomes.subscribe(tracing.observe);
  }
  const readiness = new Readiness({ registry: o.registry, logger: o.logger, redact: o.redact, checks: o.checks });
  return {
    metrics,
    readiness,
    routes: observeRoutes({ metrics, readiness, adminKey: o.config.adminKey }),
    stampTrace: tracing ? stampTrace : undefined,
    shutdown: async () => {
      await tracing?.shutdown();
    },
  };
}
