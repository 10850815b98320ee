import { expect, test } from "bun:test";
import { mapFinishReason } from "./map-finish-reason.ts";

test.each([
  ["stop", "stop"],
  ["length", "length"],
  ["tool_calls", "tool_calls"],
  ["content_filter", "content_filter"],
  ["function_call", "tool_calls"],
  ["tool_use", "tool_calls"],
  ["max_tokens", "length"],
  ["model_length", "length"],
  ["eos", "stop"],
  ["eos_token", "stop"],
  ["end_turn", "stop"],
  ["stop_sequence", "stop"],
  ["abort", "stop"],
  ["error", "stop"],
  [null, "stop"],
  [undefined, "stop"],
  ["something-new", "stop"],
] as const)("%p → %p", (upstream, contract) => {
  expect(mapFinishReason(upstream)).toBe(contract);
});
