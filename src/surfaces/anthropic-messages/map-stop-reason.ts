import type { FinishReason } from "../../schemas/chat.ts";

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export interface MappedStop {
  stop_reason: StopReason;
  stop_sequence: string | null;
}

/** A provider's refusal (OpenAI's `refusal` text): Anthropic's `stop_reason` for a declined request. */
export const REFUSAL: MappedStop = { stop_reason: "refusal", stop_sequence: null };

/**
 * A chat finish reason as Anthropic's `stop_reason`. `stop` is `stop_sequence` only when the
 * provider said which sequence matched — vLLM's `stop_reason` or SGLang's `matched_stop` on the
 * choice, kept by the OpenAI-compatible plugin — and it is one the client asked for; else `end_turn`.
 * A turn that called tools is `tool_use` even when the provider said `stop`; one that called none is
 * not, even when the provider said `tool_calls`.
 */
export function toStopReason(
  finish: FinishReason | null | undefined,
  o: { hasToolCalls: boolean; matched?: unknown; stopSequences?: readonly string[] },
): MappedStop {
  if (o.hasToolCalls && (finish === "stop" || finish === "tool_calls" || finish == null)) return { stop_reason: "tool_use", stop_sequence: null };
  switch (finish) {
    case "stop":
    case null:
    case undefined:
      if (typeof o.matched === "string" && o.stopSequences?.includes(o.matched)) return { stop_reason: "stop_sequence", stop_sequence: o.matched };
      return { stop_reason: "end_turn", stop_sequence: null };
    case "length":
      return { stop_reason: "max_tokens", stop_sequence: null };
    case "tool_calls":
      // Said with no call made (vLLM and lmdeploy do): a client answering tool_use would look for a tool_use block that is not there.
      return { stop_reason: "end_turn", stop_sequence: null };
    case "content_filter":
      return { stop_reason: "refusal", stop_sequence: null };
    default: {
      const unknown: never = finish;
      void unknown;
      return { stop_reason: "end_turn", stop_sequence: null };
    }
  }
}

/** The matched stop sequence a provider reported on a choice, if any. */
export function matchedStopOf(choice: object): unknown {
  const c = choice as { stop_reason?: unknown; matched_stop?: unknown };
  return c.stop_reason ?? c.matched_stop;
}
