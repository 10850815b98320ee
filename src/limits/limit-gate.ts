import { AuthenticationError, PermissionError, QuotaError, RateLimitError } from "../errors.ts";
import type { KeyRecord, KeyStore } from "../keys/key-store.ts";
import { mayUse, type RouteLookup } from "../keys/model-access.ts";
import { keyOf } from "../keys/request-key.ts";
import type { Admission, Gate } from "../pipeline/gate.ts";
import type { CallInfo } from "../pipeline/pipeline.ts";
import type { TokenUsage } from "../pipeline/outcome.ts";
import type { ModelRegistry } from "../registry.ts";
import type { Admitted, Lane, LimitState } from "./limit-state.ts";
import { DAY_MS, formatReset, MINUTE_MS, untilWindowEnd } from "./windows.ts";

const nothing = (): void => undefined;

/**
 * Keys and limits for the pipeline: the key the guard identified may use the model (else 403), and
 * its limits hold (else 429 with `Retry-After`). Answers to a key with limits carry OpenAI's
 * `x-ratelimit-*` headers; the tokens a request used are added when it settles.
 */
export class LimitGate implements Gate {
  readonly #admissions = new Map<KeyRecord, Admission>();

  constructor(
    private readonly keys: KeyStore,
    private readonly registry: ModelRegistry,
    private readonly state: LimitState,
    /** The settings' routes: a route is checked as a route (model-access.ts), not as the model its name may look like. */
    private readonly routes?: RouteLookup,
  ) {}

  admit(call: CallInfo, model: string, lane: Lane = "call"): Admission | Promise<Admission> {
    const key = keyOf(call.request);
    if (!key) {
      // Every surface's guard binds the key; a path that slipped past it is refused, not let through.
      if (this.keys.isEnabled) throw new AuthenticationError("You didn't provide an API key.");
      return { settle: nothing };
    }
    if (!mayUse(key, model, this.registry, this.routes)) {
      throw new PermissionError(`The key '${key.name}' is not allowed to use the model '${model}'.`, { param: "model" });
    }
    if (!key.limits) {
      let admission = this.#admissions.get(key);
      if (!admission) this.#admissions.set(key, (admission = { key: key.name, settle: nothing }));
      return admission;
    }
    return this.#limited(key, key.limits, lane);
  }

  admitStore(request: Request): Admission | Promise<Admission> {
    const key = keyOf(request);
    if (!key?.limits) return { settle: nothing };
    return this.#limited(key, key.limits);
  }

  async #limited(key: KeyRecord, limits: NonNullable<KeyRecord["limits"]>, lane: Lane = "call"): Promise<Admission> {
    const now = Date.now();
    const counted = await this.state.admit(key.name, limits, now, lane);
    const minuteLeft = untilWindowEnd(now, MINUTE_MS);
    const headers = rateLimitHeaders(limits, counted, minuteLeft);
    if (counted.verdict === "day") {
      const error = new QuotaError(
        `You exceeded the daily token budget of key '${key.name}' (${limits.tokensPerDay} tokens per UTC day).`,
        { retryAfter: Math.ceil(untilWindowEnd(now, DAY_MS) / 1000) },
      );
      throw Object.assign(error, { responseHeaders: headers, limit: "tokens_per_day" });
    }
    if (counted.verdict !== "ok") {
      const what =
        counted.verdict !== "rpm" ? `tokens per minute (${limits.tpm})`
        : lane === "count" ? `token counting requests per minute (${limits.rpm})`
        : `requests per minute (${limits.rpm})`;
      const error = new RateLimitError(`Rate limit reached for key '${key.name}' on ${what}. Please try again later.`, {
        retryAfter: Math.max(1, Math.ceil(minuteLeft / 1000)),
      });
      // Which limit refused it, for ollaix_rate_limited_total{limit} (the pipeline reads it).
      throw Object.assign(error, { responseHeaders: headers, limit: counted.verdict });
    }
    const state = this.state;
    const name = key.name;
    return {
      key: name,
      headers,
      settle(usage: TokenUsage | undefined) {
        if (usage && (limits.tpm !== undefined || limits.tokensPerDay !== undefined)) {
          state.addTokens(name, usage.input + usage.output, Date.now());
        }
      },
    };
  }
}

/** OpenAI's headers, for each limit the key has (requests: rpm; tokens: tpm). */
export function rateLimitHeaders(limits: NonNullable<KeyRecord["limits"]>, counted: Admitted, minuteLeftMs: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const reset = formatReset(minuteLeftMs);
  if (limits.rpm !== undefined) {
    headers["x-ratelimit-limit-requests"] = String(limits.rpm);
    headers["x-ratelimit-remaining-requests"] = String(Math.max(0, limits.rpm - counted.requests));
    headers["x-ratelimit-reset-requests"] = reset;
  }
  if (limits.tpm !== undefined) {
    headers["x-ratelimit-limit-tokens"] = String(limits.tpm);
    headers["x-ratelimit-remaining-tokens"] = String(Math.max(0, limits.tpm - counted.minuteTokens));
    headers["x-ratelimit-reset-tokens"] = reset;
  }
  return headers;
}
