import type { Logger } from "../logger.ts";
import { askProviderHealth } from "../observe/provider-health.ts";
import type { Provider } from "../plugin.ts";

export interface ProviderHealth {
  /** null: the provider reports no health of its own. */
  ok: boolean | null;
  detail?: string;
  /** Unix milliseconds of the probe. */
  checkedAt: number;
}

export type HealthProbe = (provider: Provider) => Promise<ProviderHealth>;

interface Options {
  logger: Logger;
  redact: (text: string) => string;
  /** How long a result is reused: the console polls, upstreams should not feel it. */
  ttlMs?: number;
  timeoutMs?: number;
}

/** Each provider's own `health()`, at most once per `ttlMs`, with concurrent callers sharing one probe. */
export function cachedHealthProbe({ logger, redact, ttlMs = 15_000, timeoutMs = 3_000 }: Options): HealthProbe {
  const cache = new Map<Provider, { at: number; result: Promise<ProviderHealth> }>();
  const probe = async (provider: Provider): Promise<ProviderHealth> => {
    const checkedAt = Date.now();
    return { ...(await askProviderHealth(provider, { logger, redact, timeoutMs })), checkedAt };
  };
  return function probeHealth(provider) {
    const hit = cache.get(provider);
    const now = Date.now();
    if (hit && now - hit.at < ttlMs) return hit.result;
    const result = probe(provider);
    cache.set(provider, { at: now, result });
    return result;
  };
}
