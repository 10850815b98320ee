import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { ModelRegistry } from "../registry.ts";

/** What every route needs, built once at start-up. */
export interface RouteDeps {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  /** The shared model-call pipeline every surface goes through. */
  pipeline: Pipeline;
}
