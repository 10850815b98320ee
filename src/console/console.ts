import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { OutcomeBus } from "../pipeline/outcome.ts";
import type { ModelRegistry } from "../registry.ts";
import { isLoopbackAddress } from "./access.ts";
import { consoleApi, consoleDisabled } from "./api.ts";
import { ConsoleEvents } from "./events.ts";
import { cachedHealthProbe, type HealthProbe } from "./health.ts";
import type { KeysSource } from "./keys.ts";
import { consolePageRoutes, consoleWithoutSlash } from "./page.ts";
import { RequestRing } from "./ring.ts";
import { TrafficSeries } from "./series.ts";

/** Requests the live table keeps, per replica. */
export const RING_CAPACITY = 1000;

export interface ConsoleOptions {
  config: Readonly<Config>;
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  outcomes: OutcomeBus;
  version: string;
  /** The app's routes (the playground offers the surfaces that exist). */
  routes: () => readonly { method: string; path: string }[];
  keys?: KeysSource;
  /** The routes `/v1/models` lists (`owned_by: "ollaix"`): models clients call too, offered in the playground. */
  router?: { table: { listed(created: number): { id: string }[] } };
  /** Provider health; by default each provider's own `health()`, cached. */
  health?: HealthProbe;
  ringCapacity?: number;
}

/** Served with OLLAIX_ADMIN_KEY (behind it), or without it on a loopback listener only. */
export const isConsoleServed = (config: Readonly<Config>) => config.adminKey !== undefined || isLoopbackAddress(config.host);

/**
 * The console: its ring and charts fed by the outcome bus, its API, and the page for Bun.serve.
 * When it is not served nothing subscribes, so requests pay nothing at all.
 */
export function createConsole(options: ConsoleOptions) {
  const { config, logger } = options;
  if (!isConsoleServed(config)) {
    logger.info("console off: HOST is not a loopback address and OLLAIX_ADMIN_KEY is unset", { host: config.host });
    return { routes: consoleDisabled(logger, config.host), pageRoutes: {}, events: undefined, movedPage: undefined };
  }
  const ring = new RequestRing(options.ringCapacity ?? RING_CAPACITY);
  const series = new TrafficSeries();
  const events = new ConsoleEvents(ring, series);
  options.outcomes.subscribe(function feedConsole(outcome) {
    ring.add(outcome);
    series.add(outcome);
    events.push(outcome);
  });
  const routes = consoleApi({
    ...options,
    ring,
    series,
    events,
    health: options.health ?? cachedHealthProbe(options),
  });
  return { routes, pageRoutes: consolePageRoutes, events, movedPage: consoleWithoutSlash };
}
