import { expect, test } from "bun:test";
import { toStopReason } from "./map-stop-reason.ts";

test.each([
  ["stop", false, undefined, undefined, "end_turn", null],
  ["stop", false, "</x>", ["</x>"], "stop_sequence", "</x>"],
  ["stop", false, "</y>", ["</x>"], "end_turn", null],
  ["stop", false, 128009, ["</x>"], "end_turn", null],
  ["length", false, undefined, undefined, "max_tokens", null],
  ["tool_calls", true, undefined, undefined, "tool_use", null],
  ["tool_calls", false, undefined, undefined, "end_turn", null],
  ["stop", true, undefined, undefined, "tool_use", null],
  ["content_filter", false, undefined, undefined, "refusal", null],
  [undefined, false, undefined, undefined, "end_turn", null],
] as const)("%s (tools %s, matched %j of %j) → %s %j", (finish, hasToolCalls, matched, stopSequences, reason, sequence) => {
  expect(toStopReason(finish, { hasToolCalls, matched, stopSequences })).toEqual({ stop_reason: reason, stop_sequence: sequence });
});
