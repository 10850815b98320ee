import type { Logger } from "../logger.ts";
import type { ModelRegistry } from "../registry.ts";
import { askProviderHealth } from "./provider-health.ts";

/** A dependency readiness waits for besides the providers (shared state such as Redis). */
export interface ReadinessCheck {
  name: string;
  check(signal: AbortSignal): Promise<{ ok: boolean; detail?: string }>;
  /** Its own time limit (Redis: REDIS_TIMEOUT_MS), else the probes' (`timeoutMs`). */
  timeoutMs?: number;
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
    const providers = await Promise.all(
      registry.providers.map(async (p): Promise<ProbeResult> => {
        // No probe: `ok: null` (neither up nor down), as the console says it.
        return { name: p.name, ...(await askProviderHealth(p, { logger, redact, timeoutMs })) };
      }),
    );
    const checks = await Promise.all(
      this.#checks.map(async (c): Promise<ProbeResult> => {
        try {
          const r = await c.check(AbortSignal.timeout(c.timeoutMs ?? timeoutMs));
          return r.detail === undefined ? { name: c.name, ok: r.ok } : { name: c.name, ok: r.ok, detail: redact(r.detail) };
        } catch (error) {
          return { name: c.name, ok: false, detail: redact(message(error)) };
        }
      }),
    );
    const probed = providers.filter((p) => typeof p.ok === "boolean");
    const providersReady = probed.length === 0 || probed.some((p) => p.ok === true);
    return { ready: providersReady && checks.every((c) => c.ok), providers, checks };
  }
}

/** The minimal Redis client a check needs: Bun's `RedisClient` has it (`send("PING", [])`). */
export interface RedisPinger {
  send(command: string, args: string[]): Promise<unknown>;
  /** Bun's client: with its offline queue off, a command fails until it is connected. */
  readonly connected?: boolean;
  connect?(): Promise<unknown>;
}

/** Shared state is reachable when Redis answers PING in time. */
export function redisCheck(client: RedisPinger, name = "redis", timeoutMs?: number): ReadinessCheck {
  return {
    name,
    timeoutMs,
    async check(signal) {
      const pong = await Promise.race([
        // Not connected yet (just started, or reconnecting): connect first, within the same time.
        client.connected === false && client.connect ? client.connect().then(() => client.send("PING", [])) : client.send("PING", []),
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(new Error("Redis did not answer PING in time"));
          signal.addEventListener("abort", () => reject(new Error("Redis did not answer PING in time")), { once: true });
        }),
      ]);
      return pong === "PONG" ? { ok: true } : { ok: false, detail: `unexpected answer to PING: ${String(pong)}` };
    },
  };
}
