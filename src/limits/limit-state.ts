import type { KeyLimits } from "../keys/key-store.ts";
import { DAY_MS, MINUTE_MS, windowId } from "./windows.ts";

/** Which limit refused a request, or "ok" (then the request was counted). */
export type Verdict = "ok" | "rpm" | "tpm" | "day";

/** What a request is counted as: a model call, or a token count (its own requests counter). */
export type Lane = "call" | "count";

/** The name of a lane's requests counter. */
export const requestsCounter = (lane: Lane): string => (lane === "count" ? "crpm" : "rpm");

export interface Admitted {
  verdict: Verdict;
  /** Requests counted in this minute, this one included when admitted. */
  requests: number;
  /** Tokens counted in this minute and this day before this request. */
  minuteTokens: number;
  dayTokens: number;
}

/** A key's counters right now: this minute's requests and tokens, today's tokens. */
export interface Usage {
  requests: number;
  minuteTokens: number;
  dayTokens: number;
}

export interface StateHealth {
  status: "ok" | "degraded";
  reason?: string;
}

/**
 * The counters behind limits: in-process (one replica) or Redis (shared by every replica). `admit`
 * checks every limit the key has and, only when all pass, counts the request: one atomic step
 * (one round trip in Redis), so a request limit is exact. Tokens are added after the answer.
 */
export interface LimitState {
  /**
   * `lane` "count": a token count (Anthropic's `count_tokens`, Responses' `input_tokens`), limited
   * apart from the key's model calls, as Anthropic limits token counting: its own requests counter
   * at the key's `rpm`, and no token limit (a count uses no tokens).
   */
  admit(key: string, limits: KeyLimits, now: number, lane?: Lane): Admitted | Promise<Admitted>;
  addTokens(key: string, tokens: number, now: number): void;
  /** What the key has used in the current windows (read only; for the console). */
  usage(key: string, now: number): Usage | Promise<Usage>;
  health(): StateHealth;
  close(): void;
}

interface Counter {
  window: number;
  value: number;
}

/** Counters in this process's memory: exact for one replica; per replica when there are several. */
export class InProcessState implements LimitState {
  readonly #counters = new Map<string, Counter>();

  #read(name: string, window: number): number {
    const c = this.#counters.get(name);
    return c !== undefined && c.window === window ? c.value : 0;
  }

  #add(name: string, window: number, amount: number): number {
    const c = this.#counters.get(name);
    if (c === undefined) this.#counters.set(name, { window, value: amount });
    else if (c.window !== window) [c.window, c.value] = [window, amount];
    else c.value += amount;
    return this.#read(name, window);
  }

  admit(key: string, limits: KeyLimits, now: number, lane: Lane = "call"): Admitted {
    const minute = windowId(now, MINUTE_MS);
    const day = windowId(now, DAY_MS);
    const counter = `${key}:${requestsCounter(lane)}`;
    const requests = this.#read(counter, minute);
    const minuteTokens = this.#read(`${key}:tpm`, minute);
    const dayTokens = this.#read(`${key}:tpd`, day);
    const tokensLimited = lane === "call";
    const verdict: Verdict =
      tokensLimited && limits.tokensPerDay !== undefined && dayTokens >= limits.tokensPerDay ? "day"
      : tokensLimited && limits.tpm !== undefined && minuteTokens >= limits.tpm ? "tpm"
      : limits.rpm !== undefined && requests >= limits.rpm ? "rpm"
      : "ok";
    if (verdict !== "ok") return { verdict, requests, minuteTokens, dayTokens };
    return { verdict, requests: this.#add(counter, minute, 1), minuteTokens, dayTokens };
  }

  addTokens(key: string, tokens: number, now: number): void {
    this.#add(`${key}:tpm`, windowId(now, MINUTE_MS), tokens);
    this.#add(`${key}:tpd`, windowId(now, DAY_MS), tokens);
  }

  usage(key: string, now: number): Usage {
    const minute = windowId(now, MINUTE_MS);
    return {
      requests: this.#read(`${key}:rpm`, minute),
      minuteTokens: this.#read(`${key}:tpm`, minute),
      dayTokens: this.#read(`${key}:tpd`, windowId(now, DAY_MS)),
    };
  }

  health(): StateHealth {
    return { status: "ok" };
  }

  close(): void {}
}
