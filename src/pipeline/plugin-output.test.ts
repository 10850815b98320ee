import { describe, expect, test } from "bun:test";
import type { ChatResult } from "../plugin.ts";
import { checkAnswer } from "./plugin-output.ts";

const answer = (choice: Record<string, unknown> = {}, n = 1): ChatResult =>
  ({ choices: Array.from({ length: n }, (_, index) => ({ index, finish_reason: "stop", message: { content: "Hi." }, ...choice })) }) as never;
const call = (fn: unknown) => ({ id: "call_1", type: "function", function: fn });
const refused = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    return (error as Error).message;
  }
  throw new Error("not refused");
};

describe("checkAnswer", () => {
  test("an answer within the contract is the same object (nothing copied)", () => {
    for (const good of [
      answer(),
      answer({ message: { content: null, tool_calls: [call({ name: "look", arguments: "{}" })] }, finish_reason: "tool_calls" }),
      answer({ message: { content: "x", reasoning_content: "y", refusal: null } }),
      answer({}, 2),
    ]) {
      expect(checkAnswer(good, 2, "p")).toBe(good);
    }
  });

  test("no finish reason: `stop`, in a copy (the plugin's object is not changed)", () => {
    const sent = answer({ finish_reason: undefined });
    const checked = checkAnswer(sent, 1, "p");
    expect(checked.choices[0]!.finish_reason).toBe("stop");
    expect(sent.choices[0]!.finish_reason).toBeUndefined();
    expect(checkAnswer(answer({ finish_reason: null }), 1, "p").choices[0]!.finish_reason).toBe("stop");
  });

  test.each([
    ["no choices array", { choices: "Hi." }, "an answer without a `choices` array"],
    ["no choice", { choices: [] }, "an answer with no choice"],
    ["more choices than n", answer({}, 2), "2 choices for a request of n = 1"],
    ["an index past n", answer({ index: 1 }), "a choice with index 1 for a request of n = 1"],
    ["an index that is no integer", answer({ index: "0" }), "a choice with index 0 for a request of n = 1"],
    ["no message", answer({ message: undefined }), "a choice without a `message` object"],
    ["content a number", answer({ message: { content: 42 } }), "a message whose `content` is number, not text"],
    ["content parts", answer({ message: { content: [{ type: "text", text: "Hi." }] } }), "a message whose `content` is object, not text"],
    ["reasoning an object", answer({ message: { content: "x", reasoning_content: {} } }), "`reasoning_content` is object"],
    ["an unknown finish reason", answer({ finish_reason: "eos" }), "the finish reason 'eos'"],
    ["OpenAI's deprecated function_call (the plugins map it)", answer({ finish_reason: "function_call" }), "the finish reason 'function_call'"],
    ["a tool call without a name", answer({ message: { content: null, tool_calls: [call({ arguments: "{}" })] } }), "a tool call without a function name"],
    ["a tool call named \"\"", answer({ message: { content: null, tool_calls: [call({ name: "", arguments: "{}" })] } }), "a tool call without a function name"],
    ["arguments as an object", answer({ message: { content: null, tool_calls: [call({ name: "look", arguments: { city: "Paris" } })] } }), "arguments are not JSON text"],
    ["tool_calls not a list", answer({ message: { content: null, tool_calls: {} } }), "`tool_calls` that is not an array"],
  ])("%s: 502 naming the plugin's bug", (_, result, said) => {
    expect(refused(() => checkAnswer(result as ChatResult, 1, "p"))).toContain(said);
  });

  test("two choices at one index: 502", () => {
    expect(refused(() => checkAnswer({ choices: [answer().choices[0]!, answer().choices[0]!] }, 2, "p"))).toContain("two choices with index 0");
  });
});
