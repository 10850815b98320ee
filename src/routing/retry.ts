import { hasErrorFields } from "../errors.ts";

const RETRYABLE_CODES = new Set(["upstream_unavailable", "upstream_timeout", "upstream_auth_failed", "upstream_error"]);
const MAX_WAIT_MS = 10_000;
const BASE_MS = 200;

/**
 * Retryable before the first byte: 429, 5xx (not the gateway's own loop guard), an unreachable,
 * slow or key-refusing upstream (another target has another key). Never a 4xx about the request.
 */
export function isRetryable(error: unknown): boolean {
  if (!hasErrorFields(error)) return false;
  if (error.code !== null && RETRYABLE_CODES.has(error.code)) return true;
  return error.status === 429 || (error.status >= 500 && error.status !== 508 && error.status !== 501);
}

/**
 * The wait before retry `attempt` (0 = the first retry) of the same deployment: jittered
 * exponential back-off (50–100 % of 200 ms × 2ⁿ), at least the upstream's `Retry-After`, at most 10 s.
 */
export function backoffMs(attempt: number, error: unknown, random: () => number): number {
  const exp = BASE_MS * 2 ** attempt;
  const jittered = exp / 2 + (random() * exp) / 2;
  const hinted = (error as { retryAfter?: unknown })?.retryAfter;
  const retryAfterMs = typeof hinted === "number" && Number.isFinite(hinted) && hinted > 0 ? hinted * 1000 : 0;
  return Math.min(MAX_WAIT_MS, Math.max(jittered, retryAfterMs));
}
