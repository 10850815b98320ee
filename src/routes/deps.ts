import type { Config } from "../config.ts";
import type { StateHealth } from "../limits/limit-state.ts";
import type { Router } from "../routing/router.ts";
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
  /** Routes (listed in /v1/models); none by default. */
  router?: Router;
  /** The shared state's health (Redis); healthy by default. */
  stateHealth?: () => StateHealth;
}
