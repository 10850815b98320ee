import type { Logger } from "../logger.ts";
import type { OutcomeObserver } from "../pipeline/outcome.ts";
import type { OtelConfig } from "./otel-config.ts";

export interface Tracing {
  /** Builds and ends the request's server span from its outcome. */
  observe: OutcomeObserver;
  /** Exports what is still queued. */
  shutdown(): Promise<void>;
}

/**
 * Loads the OpenTelemetry SDK (only now: with tracing off nothing of it is ever evaluated) and
 * starts exporting spans as `config` says.
 */
export async function startTracing(config: OtelConfig, logger: Logger, serviceVersion: string, providerName?: (instance: string) => string): Promise<Tracing> {
  const { createOtelTracing } = await import("./otel-sdk.ts");
  return createOtelTracing(config, logger, serviceVersion, providerName);
}
