import { JSON_HEADERS, type MappedError } from "../../error-response.ts";
import type { Envelope } from "../envelopes.ts";

/**
 * Ollama's framing and error body, the only place the Ollama surface writes either. Every line is
 * one JSON.stringify result (never a raw newline inside) and a whole JS string: the writer encodes
 * each write as UTF-8 at once, so no character is ever split between two lines or writes; a lone
 * surrogate from a provider's chunk boundary is escaped (`\ud83d`) and joins its other half again
 * in the client's string.
 */
export const NDJSON_HEADERS = {
  "content-type": "application/x-ndjson",
  "cache-control": "no-cache",
  // Tells nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
} as const;

/** A failure after the stream started: one `{"error": …}` line, as Ollama writes it. */
export const ndjsonError = (mapped: MappedError): string => `${JSON.stringify({ error: mapped.body.error.message })}\n`;

/** `{"error": "<message>"}` with the mapped status (and `Retry-After` when there is one). */
export const ollamaEnvelope: Envelope = (mapped) => ({
  status: mapped.status,
  body: JSON.stringify({ error: mapped.body.error.message }),
  headers: { ...JSON_HEADERS, ...mapped.headers },
});
