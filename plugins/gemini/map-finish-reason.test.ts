import { describe, expect, test } from "bun:test";
import { GEMINI_FINISH_REASONS, mapGeminiFinishReason, type MappedFinishReason } from "./map-finish-reason.ts";

// [Gemini finishReason, without function calls, with function calls]
const TABLE: [string | undefined, MappedFinishReason, MappedFinishReason][] = [
  [undefined, "stop", "tool_calls"],
  ["FINISH_REASON_UNSPECIFIED", "stop", "tool_calls"],
  ["STOP", "stop", "tool_calls"],
  ["OTHER", "stop", "tool_calls"],
  ["IMAGE_OTHER", "stop", "tool_calls"],
  ["NO_IMAGE", "stop", "tool_calls"],
  ["MAX_TOKENS", "length", "length"],
  ["CONTINUATION", "length", "length"],
  ["SAFETY", "content_filter", "content_filter"],
  ["RECITATION", "content_filter", "content_filter"],
  ["LANGUAGE", "content_filter", "content_filter"],
  ["BLOCKLIST", "content_filter", "content_filter"],
  ["PROHIBITED_CONTENT", "content_filter", "content_filter"],
  ["SPII", "content_filter", "content_filter"],
  ["IMAGE_SAFETY", "content_filter", "content_filter"],
  ["IMAGE_PROHIBITED_CONTENT", "content_filter", "content_filter"],
  ["IMAGE_RECITATION", "content_filter", "content_filter"],
  ["ESCALATION", "content_filter", "content_filter"],
  ["PUP_LIMITED_DISABLED", "content_filter", "content_filter"],
  ["MODEL_ARMOR", "content_filter", "content_filter"],
  ["MALFORMED_FUNCTION_CALL", "error", "error"],
  ["UNEXPECTED_TOOL_CALL", "error", "error"],
  ["TOO_MANY_TOOL_CALLS", "error", "error"],
  ["MISSING_THOUGHT_SIGNATURE", "error", "error"],
  ["MALFORMED_RESPONSE", "error", "error"],
  ["A_REASON_FROM_THE_FUTURE", "stop", "tool_calls"],
];

describe("mapGeminiFinishReason", () => {
  test.each(TABLE)("%p → %p (%p with function calls)", (reason, plain, withTools) => {
    expect(mapGeminiFinishReason(reason, false)).toBe(plain);
    expect(mapGeminiFinishReason(reason, true)).toBe(withTools);
  });

  test("the table covers every documented value", () => {
    const covered = new Set(TABLE.map(([reason]) => reason));
    expect(GEMINI_FINISH_REASONS.filter((r) => !covered.has(r))).toEqual([]);
  });
});
