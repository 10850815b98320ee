import { within } from "../deadline.ts";
import type { Logger } from "../logger.ts";
import type { Provider } from "../plugin.ts";

export interface HealthAnswer {
  /** `null`: the provider has no health probe of its own. */
  ok: boolean | null;
  detail?: string;
}

export interface HealthAsk {
  logger: Logger;
  redact: (text: string) => string;
  timeoutMs: number;
}

/**
 * A provider's own `health()`, answered within `timeoutMs` whether or not the plugin heeds its
 * signal: one that has not answered by then is down (`no answer in 5 s`), so a hung plugin never
 * holds up `/health?probe=true`, readiness or the console. A failure's message is the detail, redacted.
 */
export async function askProviderHealth(provider: Provider, { logger, redact, timeoutMs }: HealthAsk): Promise<HealthAnswer> {
  if (!provider.health) return { ok: null };
  try {
    const answer = await within(
      provider.health({ signal: AbortSignal.timeout(timeoutMs), logger, upstreamHeaders: { "x-ollaix-hops": "1" } }),
      timeoutMs,
      () => new Error(`no answer in ${timeoutMs / 1000} s`),
    );
    return answer.detail === undefined ? { ok: answer.ok } : { ok: answer.ok, detail: redact(answer.detail) };
  } catch (error) {
    return { ok: false, detail: redact(error instanceof Error ? error.message : String(error)) };
  }
}
