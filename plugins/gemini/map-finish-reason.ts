import type { FinishReason } from "../../src/kit.ts";

/** Every `Candidate.finishReason` of the REST reference (the `FinishReason` enum of @google/genai 3.3.0). */
export const GEMINI_FINISH_REASONS = [
  "FINISH_REASON_UNSPECIFIED",
  "STOP",
  "MAX_TOKENS",
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "OTHER",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "MALFORMED_FUNCTION_CALL",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_OTHER",
  "NO_IMAGE",
  "IMAGE_RECITATION",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "MISSING_THOUGHT_SIGNATURE",
  "MALFORMED_RESPONSE",
  "ESCALATION",
  "PUP_LIMITED_DISABLED",
  "CONTINUATION",
  "MODEL_ARMOR",
] as const;
export type GeminiFinishReason = (typeof GEMINI_FINISH_REASONS)[number];

const KNOWN = new Set<string>(GEMINI_FINISH_REASONS);
const isKnown = (reason: string): reason is GeminiFinishReason => KNOWN.has(reason);

/**
 * `"error"` means the candidate failed upstream (a malformed or unexpected function call, a
 * malformed response): the caller reports it as an UpstreamError, never as `content_filter`.
 */
export type MappedFinishReason = FinishReason | "error";

/**
 * Gemini's finish reason as one of the contract's four. `hasToolCalls` because Gemini says `STOP`
 * when it returns function calls, which OpenAI clients only act on with `tool_calls`. Absent and
 * unknown values end normally.
 */
export function mapGeminiFinishReason(reason: string | undefined, hasToolCalls: boolean): MappedFinishReason {
  const normal: FinishReason = hasToolCalls ? "tool_calls" : "stop";
  if (reason === undefined || !isKnown(reason)) return normal;
  switch (reason) {
    case "FINISH_REASON_UNSPECIFIED":
    case "STOP":
    case "OTHER":
    case "IMAGE_OTHER":
    case "NO_IMAGE":
      return normal;
    case "MAX_TOKENS":
    // The SDK resumes CONTINUATION by itself; one that still arrives is a per-request token cap.
    case "CONTINUATION":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "LANGUAGE":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
    case "IMAGE_PROHIBITED_CONTENT":
    case "IMAGE_RECITATION":
    case "ESCALATION":
    case "PUP_LIMITED_DISABLED":
    case "MODEL_ARMOR":
      return "content_filter";
    case "MALFORMED_FUNCTION_CALL":
    case "UNEXPECTED_TOOL_CALL":
    case "TOO_MANY_TOOL_CALLS":
    case "MISSING_THOUGHT_SIGNATURE":
    case "MALFORMED_RESPONSE":
      return "error";
    default: {
      const unhandled: never = reason;
      return unhandled;
    }
  }
}
