import type { ErrorBody } from "./schemas/error.ts";

/**
 * Server-sent events framing, the only place Ollaix writes `data:` lines. Every payload is one
 * line of JSON (JSON.stringify never emits a raw newline), so one `data:` line per event is exact.
 */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  // Tells nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
} as const;

export const SSE_DONE = "data: [DONE]\n\n";

export const sseEvent = (json: string) => `data: ${json}\n\n`;

export const sseError = (body: ErrorBody) => `data: ${JSON.stringify(body)}\n\n`;
