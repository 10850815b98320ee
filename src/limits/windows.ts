/**
 * Fixed windows aligned to UTC: the minute for `rpm`/`tpm`, the day for `tokens_per_day`. Every
 * replica computes the same window id from its clock (keep clocks in sync, e.g. NTP), so counters
 * in Redis are shared per window; a window's counter expires after it ends.
 */
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export const windowId = (now: number, size: number): number => Math.floor(now / size);

/** Milliseconds until the window that contains `now` ends. */
export const untilWindowEnd = (now: number, size: number): number => (windowId(now, size) + 1) * size - now;

/** OpenAI's reset format: `20ms`, `12s`, `1m3s`, `5h2m0s`. */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}
