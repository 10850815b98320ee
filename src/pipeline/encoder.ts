import type { MappedError } from "../error-response.ts";
import type { ChunkResult } from "../plugin.ts";
import type { TokenUsage } from "./outcome.ts";

/**
 * A surface's stream encoder: turns the provider's chat chunks (OpenAI chunk deltas, the internal
 * format) into that surface's wire events. One encoder per stream; it keeps its own state (which
 * block or item is open) and never mutates the chunks it is given. Every method returns the text to
 * write ("" for nothing); the writer owns the socket, flushing, time-outs and aborts.
 */
export interface StreamEncoder {
  /** Response headers (content type first). */
  readonly headers: Readonly<Record<string, string>>;
  /** Text before the first chunk (e.g. `response.created`, `message_start`). */
  start(): string;
  /** One chunk. */
  chunk(chunk: ChunkResult): string;
  /**
   * The provider's stream ended normally; `usage` is what the pipeline counted (the provider's
   * figures or its estimate). A promise when the surface must do something before its last event
   * (a Responses turn added to its conversation first): if it rejects, the stream fails with that
   * error (`error()`, which then writes what `end` had to say before it).
   */
  end(usage?: TokenUsage): string | Promise<string>;
  /** A failure after the stream started: the surface's error event (the stream closes after it). */
  error(mapped: MappedError): string;
}
