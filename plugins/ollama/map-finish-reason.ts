import type { FinishReason } from "../../src/kit.ts";

/** The `done_reason` values Ollama sends: `load`/`unload` answer an empty `messages` list. */
const KNOWN_DONE_REASONS = ["stop", "length", "load", "unload"] as const;
type OllamaDoneReason = (typeof KNOWN_DONE_REASONS)[number];

const isKnown = (value: string): value is OllamaDoneReason => (KNOWN_DONE_REASONS as readonly string[]).includes(value);

/**
 * Ollama's `done_reason` as an OpenAI `finish_reason`. Ollama says `stop` when the model called tools
 * (docs/api.md, "Chat request (with tools)"), so `hasToolCalls` decides between `stop` and
 * `tool_calls`; `length` wins, as with OpenAI, because the answer was cut. Older servers send no
 * `done_reason`, and an unknown one ended the answer all the same: both count as `stop`.
 */
export function mapFinishReason(doneReason: string | undefined, hasToolCalls: boolean): FinishReason {
  const ended = hasToolCalls ? "tool_calls" : "stop";
  if (doneReason === undefined || !isKnown(doneReason)) return ended;
  switch (doneReason) {
    case "length":
      return "length";
    case "stop":
    case "load":
    case "unload":
      return ended;
    default: {
      const unknownReason: never = doneReason;
      return unknownReason;
    }
  }
}
