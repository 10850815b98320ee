import type { CooldownSettings, RouteSettings } from "../settings-schema.ts";
import { Cooldowns } from "./cooldown.ts";
import { planRoute, type Plan } from "./plan.ts";
import { backoffMs, isRequestSized, isRetryable, isUnfit } from "./retry.ts";
import { RouteTable } from "./route-table.ts";
import { hasErrorFields } from "../errors.ts";
import { ClientGoneError, gatewayStopping } from "../request-scope.ts";

export interface RouterOptions {
  routes?: readonly RouteSettings[];
  cooldown?: CooldownSettings;
  random?: () => number;
}

/**
 * Routes and their attempts: `plan` turns what the client asked for into the deployments to try;
 * `run` tries them in order, retrying a deployment on retryable failures (back-off, Retry-After)
 * before moving on, and records failures for the cooldowns.
 */
export class Router {
  readonly table: RouteTable;
  readonly #cooldowns: Cooldowns;
  readonly #random: () => number;

  constructor(options: RouterOptions = {}) {
    this.table = new RouteTable(options.routes);
    this.#cooldowns = new Cooldowns(options.cooldown);
    this.#random = options.random ?? Math.random;
  }

  /** True when the id is a route (or matches a route's glob). */
  isRoute(model: string): boolean {
    return !this.table.isEmpty && this.table.find(model) !== undefined;
  }

  plan(model: string): Plan {
    const route = this.table.isEmpty ? undefined : this.table.find(model);
    if (!route) return { deployments: [model], retries: 0, routed: false };
    const now = Date.now();
    return planRoute(route, (m) => this.#cooldowns.isCooling(m, now), this.#random);
  }

  /**
   * Tries the plan. `attempt` gets the deployment's model id, the try number (1-based) and whether the
   * deployment is one of the route's fallbacks, and must
   * throw before the first byte only. A failure of the deployment alone (`isUnfit`) moves on to the
   * next one without a retry. Any other non-retryable failure, a client that left, or the last
   * failure is thrown as is.
   */
  async run<T>(
    plan: Plan,
    signal: () => AbortSignal,
    attempt: (model: string, tries: number, isFallback: boolean) => Promise<T>,
    /** Sees each retryable failure that another try follows (the last one is the call's own). */
    onRetried?: (error: unknown) => void,
    /** Sees each pause before a retry, in ms as waited (back-off, the upstream's Retry-After). */
    onPaused?: (ms: number) => void,
  ): Promise<T> {
    if (!plan.routed) return attempt(plan.deployments[0]!, 1, false);
    let tries = 0;
    let last: unknown;
    const fallbacksFrom = plan.fallbacksFrom ?? plan.deployments.length;
    for (let d = 0; d < plan.deployments.length; d++) {
      const model = plan.deployments[d]!;
      for (let retry = 0; retry <= plan.retries; retry++) {
        // A client gone (or a cancel) between tries ends the call as that, not as the last deployment's failure.
        if (tries > 0 && (signal().aborted || gatewayStopping.aborted)) throw abandoned(signal());
        try {
          const value = await attempt(model, ++tries, d >= fallbacksFrom);
          this.#cooldowns.succeeded(model);
          return value;
        } catch (error) {
          last = error;
          // A failure of this deployment alone (a model it lacks, a window too small): the next one, without a retry of this one.
          const movesOn = !isRetryable(error);
          if (movesOn && !(isUnfit(error) && d < plan.deployments.length - 1)) throw error;
          if (signal().aborted || gatewayStopping.aborted) throw abandoned(signal());
          const sized = isRequestSized(error);
          if (!sized) this.#cooldowns.failed(model, Date.now());
          if (onRetried !== undefined && !sized && (retry < plan.retries || d < plan.deployments.length - 1)) onRetried(error);
          if (movesOn) break;
          if (retry < plan.retries) {
            const pausedAt = performance.now();
            const waited = await pause(backoffMs(retry, error, this.#random), signal());
            onPaused?.(performance.now() - pausedAt);
            if (!waited) throw abandoned(signal());
          }
        }
      }
    }
    throw last;
  }
}

/**
 * Why the call ended between tries: the call's own reason when it gives one of the gateway's errors
 * (a background response's cancel), else the client left (a request's signal says only "aborted").
 */
function abandoned(signal: AbortSignal): Error {
  // The gateway ended what was in flight (its shutdown grace elapsed): that, not a client that left.
  if (gatewayStopping.aborted && hasErrorFields(gatewayStopping.reason)) return gatewayStopping.reason as Error;
  return hasErrorFields(signal.reason) ? (signal.reason as Error) : new ClientGoneError();
}

/** Waits `ms`; false when the signal aborted first (the client left), or the gateway stopped what was in flight. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || gatewayStopping.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      gatewayStopping.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort);
    gatewayStopping.addEventListener("abort", onAbort);
  });
}
