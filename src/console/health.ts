import type { Logger } from "../logger.ts";
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
    if (!provider.health) return { ok: null, checkedAt };
    try {
      const r = await provider.health({ signal: AbortSignal.timeout(timeoutMs), logger, upstreamHeaders: { "x-ollaix-hops": "1" } });
      return r.detail === undefined ? { ok: r.ok, checkedAt } : { ok: r.ok, detail: redact(r.detail), checkedAt };
    } catch (error) {
      return { ok: false, detail: redact(error instanceof Error ? error.message : String(error)), checkedAt };
    }
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
