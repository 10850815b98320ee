import type { CallInfo } from "./pipeline.ts";
import type { TokenUsage } from "./outcome.ts";
import type { Lane } from "../limits/limit-state.ts";

/**
 * Keys and limits, seen from the pipeline: `admit` runs before the provider is called (it may
 * refuse with 401, 403 or 429) and returns the key's name and the headers the answer carries;
 * `settle` runs once when the request is over, with what it used (undefined when it used nothing).
 */
export interface Admission {
  key?: string;
  headers?: Record<string, string>;
  settle(usage: TokenUsage | undefined): void;
}

export interface Gate {
  /** `lane` "count": a token count, limited apart from model calls (limit-state.ts). */
  admit(call: CallInfo, model: string, lane?: Lane): Admission | Promise<Admission>;
  /**
   * A request that calls no model but stores for its key (a conversation made or added to) or asks
   * an upstream about a model: counted as a request against the key's limits, refused as a model
   * call would be while they are spent.
   */
  admitStore?(request: Request): Admission | Promise<Admission>;
}

const NOTHING_TO_SETTLE: Admission = { settle: () => undefined };

/** No keys with names or limits: everything that passed the API-key guard is admitted. */
export const openGate: Gate = { admit: () => NOTHING_TO_SETTLE };
