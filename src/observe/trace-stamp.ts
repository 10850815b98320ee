import { randomHex } from "../ids.ts";

/**
 * The ids of a request's server span, chosen when the request arrives (before any upstream call,
 * which must carry them in its `traceparent`) without touching the OpenTelemetry SDK: the span
 * itself is built from these ids when the request is over.
 */
export interface TraceStamp {
  traceId: string;
  spanId: string;
  /** The client's span, when it sent a valid W3C `traceparent`. */
  parentSpanId?: string;
  /** W3C trace flags as sent on: "01" sampled, "00" not. */
  flags: string;
  traceState?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * version 00 must have exactly four fields; a later version may add fields; version ff and
 * all-zero ids are invalid. An invalid header is ignored (a new trace starts).
 */
export function parseTraceparent(header: string | null): { traceId: string; spanId: string; flags: string } | undefined {
  if (header === null) return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  // Only the sampled bit is defined; other bits are not passed on.
  return { traceId, spanId, flags: (parseInt(flags, 16) & 1) === 1 ? "01" : "00" };
}

/** The request's span ids: a child of the client's span when it sent one, else a new trace (sampled). */
export function stampTrace(request: Request): TraceStamp {
  const parent = parseTraceparent(request.headers.get("traceparent"));
  if (!parent) return { traceId: randomHex(16), spanId: randomHex(8), flags: "01" };
  const traceState = request.headers.get("tracestate") ?? undefined;
  return { traceId: parent.traceId, spanId: randomHex(8), parentSpanId: parent.spanId, flags: parent.flags, traceState };
}

/** The `traceparent` an upstream request carries: this request's span as the parent. */
export const traceparentOf = (stamp: TraceStamp): string => `00-${stamp.traceId}-${stamp.spanId}-${stamp.flags}`;
