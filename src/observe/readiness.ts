import type { Logger } from "../logger.ts";
import type { ModelRegistry } from "../registry.ts";
import { askProviderHealth } from "./provider-health.ts";

/** A dependency readiness waits for besides the providers (shared state such as Redis). */
export interface ReadinessCheck {
  name: string;
  /**
   * Whether readiness fails with it (default true). Redis in `open` mode is not: every replica
   * serves on with per-replica limits, and a readiness probe that took them all out at once would
   * turn a Redis outage into the gateway's (an operations probe). Its state is still reported.
   */
  required?: boolean;
  /** Settles within its own time limit (Redis: REDIS_TIMEOUT_MS); `signal` aborts at the probes' (`timeoutMs`). */
  check(signal: AbortSignal): Promise<{ ok: boolean; detail?: string }>;
}

export interface ProbeResult {
  name: string;
  /** `null` for a provider that has no health probe (e.g. the built-in dummy). */
  ok?: boolean | null;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  providers: ProbeResult[];
  checks: ProbeResult[];
}

export interface ReadinessOptions {
  registry: ModelRegistry;
  logger: Logger;
  redact: (text: string) => string;
  checks?: readonly ReadinessCheck[];
  /** How long one round of probes is reused (default 5 s): load balancers poll often. */
  cacheMs?: number;
  /** Longest a probe may take (default 3 s). */
  timeoutMs?: number;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * `/health/ready`: ready when at least one provider answers its health probe (or none has a probe:
 * nothing to wait for) and every named check (Redis when configured) passes. Probes run at most once
 * per `cacheMs`; concurrent callers share the round in progress.
 */
export class Readiness {
  readonly #o: ReadinessOptions;
  readonly #checks: ReadinessCheck[];
  #last: { at: number; report: ReadinessReport } | undefined;
  #running: Promise<ReadinessReport> | undefined;

  constructor(options: ReadinessOptions) {
    this.#o = options;
    this.#checks = [...(options.checks ?? [])];
  }

  /** Plugs in another dependency (e.g. the Redis client, once shared state is configured). */
  add(check: ReadinessCheck): void {
    this.#checks.push(check);
    this.#last = undefined;
  }

  report(now = performance.now()): Promise<ReadinessReport> {
    if (this.#last && now - this.#last.at < (this.#o.cacheMs ?? 5000)) return Promise.resolve(this.#last.report);
    this.#running ??= this.#probe().then(
      (report) => {
        this.#last = { at: performance.now(), report };
        this.#running = undefined;
        return report;
      },
      (error: unknown) => {
        this.#running = undefined;
        throw error;
      },
    );
    return this.#running;
  }

  async #probe(): Promise<ReadinessReport> {
    const { registry, logger, redact } = this.#o;
    const timeoutMs = this.#o.timeoutMs ?? 3000;
    // Providers and checks (Redis) together: a hung provider and a slow Redis cost the longer wait,
    // not the sum (a probe: 6 s against a Kubernetes probe's 4).
    const [providers, checks] = await Promise.all([
      Promise.all(
        registry.providers.map(async (p): Promise<ProbeResult> => {
          // No probe: `ok: null` (neither up nor down), as the console says it.
          return { name: p.name, ...(await askProviderHealth(p, { logger, redact, timeoutMs })) };
        }),
      ),
      Promise.all(
      this.#checks.map(async (c): Promise<ProbeResult> => {
        try {
          const r = await c.check(AbortSignal.timeout(timeoutMs));
          return r.detail === undefined ? { name: c.name, ok: r.ok } : { name: c.name, ok: r.ok, detail: redact(r.detail) };
        } catch (error) {
          return { name: c.name, ok: false, detail: redact(message(error)) };
        }
      }),
      ),
    ]);
    const probed = providers.filter((p) => typeof p.ok === "boolean");
    const providersReady = probed.length === 0 || probed.some((p) => p.ok === true);
    return { ready: providersReady && checks.every((c, i) => c.ok || this.#checks[i]!.required === false), providers, checks };
  }
}

/**
 * Shared state is reachable when Redis answers PING. `ping` fails on its own once it goes
 * REDIS_TIMEOUT_MS unanswered, and replaces the connection then (RedisConnection): one left
 * half-open by the network would otherwise stay "connected", and unanswered, for many minutes.
 */
export function redisCheck(ping: () => Promise<unknown>, name = "redis", required = true): ReadinessCheck {
  return {
    name,
    required,
    async check() {
      const pong = await ping();
      return pong === "PONG" ? { ok: true } : { ok: false, detail: `unexpected answer to PING: ${String(pong)}` };
    },
  };
}
