import { shownModel } from "../pipeline/outcome.ts";
import type { RequestOutcome } from "../pipeline/outcome.ts";

/**
 * One finished request as the console shows it: timings, routing and token counts. The outcome
 * carries no message contents, so neither does this.
 */
export interface RequestRecord {
  requestId: string;
  /** Wall-clock start, Unix milliseconds. */
  time: number;
  surface: string;
  method: string;
  path: string;
  status: number;
  stream: boolean;
  durationMs: number;
  ttftMs: number | null;
  upstreamMs: number;
  model: string;
  target: string | null;
  provider: string | null;
  key: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  tokensEstimated: boolean;
  finishReason: string | null;
  error: string | null;
  attempts: number | null;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** `startedAt` is `performance.now()`: the wall clock is the process's time origin plus it. */
export function toRequestRecord(o: RequestOutcome, timeOrigin = performance.timeOrigin): RequestRecord {
  return {
    requestId: o.requestId,
    time: Math.round(timeOrigin + o.startedAt),
    surface: o.surface,
    method: o.method,
    path: o.path,
    status: o.status,
    stream: o.stream,
    durationMs: round(o.durationMs),
    ttftMs: o.ttftMs === undefined ? null : round(o.ttftMs),
    upstreamMs: round(o.upstreamMs),
    model: shownModel(o),
    target: o.target ?? null,
    provider: o.provider ?? null,
    key: o.key ?? null,
    inputTokens: o.usage?.input ?? null,
    outputTokens: o.usage?.output ?? null,
    reasoningTokens: o.usage?.reasoning ?? null,
    tokensEstimated: o.usage?.estimated === true,
    finishReason: o.finishReason ?? null,
    error: o.error ?? null,
    attempts: o.attempts ?? null,
  };
}
