import { expect, test } from "bun:test";
import { mapFinishReason } from "./map-finish-reason.ts";

test.each([
  ["stop", false, "stop"],
  ["stop", true, "tool_calls"],
  ["length", false, "length"],
  // Cut off while calling a tool: the answer is incomplete, as OpenAI says.
  ["length", true, "length"],
  ["load", false, "stop"],
  ["unload", false, "stop"],
  // Older servers' final line has no done_reason.
  [undefined, false, "stop"],
  [undefined, true, "tool_calls"],
  // A value Ollama may add later still ended the answer.
  ["connection closed", false, "stop"],
  ["connection closed", true, "tool_calls"],
] as const)("done_reason %p with tool calls %p → %p", (doneReason, hasToolCalls, expected) => {
  expect(mapFinishReason(doneReason, hasToolCalls)).toBe(expected);
});
