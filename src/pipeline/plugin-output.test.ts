import { describe, expect, test } from "bun:test";
import type { ChatResult, ChunkResult, EmbedResult } from "../plugin.ts";
import { checkAnswer, checkEmbeddings, StreamContract } from "./plugin-output.ts";

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

describe("StreamContract", () => {
  const text = (content: unknown, index = 0): ChunkResult => ({ choices: [{ index, delta: { content } }] }) as never;
  const finish = (reason: unknown, index = 0): ChunkResult => ({ choices: [{ index, delta: {}, finish_reason: reason }] }) as never;
  const callDelta = (fn: unknown, index = 0): ChunkResult => ({ choices: [{ index: 0, delta: { tool_calls: [{ index, function: fn }] } }] }) as never;
  const run = (chunks: readonly ChunkResult[], n = 1) => {
    const contract = new StreamContract(n, "p");
    for (const chunk of chunks) contract.check(chunk);
  };

  test("streams within the contract pass: text, reasoning, a named call then its arguments, one finish each, usage and empty deltas after", () => {
    run([
      { choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
      text("Hi"),
      { choices: [{ index: 0, delta: { reasoning_content: "hm", refusal: null, content: null } }] },
      callDelta({ name: "look", arguments: "" }),
      callDelta({ arguments: '{"a":1}' }),
      callDelta({ name: "other" }, 1),
      { choices: [{ index: 0, delta: { content: "last" }, finish_reason: "tool_calls" }] },
      { choices: [{ index: 0, delta: {}, logprobs: null }] },
      { choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
    ] as ChunkResult[]);
    run([text("a", 0), text("b", 1), finish("stop", 1), finish("length", 0)], 2);
  });

  test.each([
    ["a string chunk", ["data: hi"], "a stream chunk without a `choices` array"],
    ["content a number", [text("Hi"), text(42)], "a delta whose `content` is number, not text"],
    ["no delta", [{ choices: [{ index: 0, finish_reason: "stop" }] }], "a stream choice without a `delta` object"],
    ["an index past n", [text("Hi", 1)], "a stream choice with index 1 for a request of n = 1"],
    ["an unknown finish reason", [text("Hi"), finish("eos")], "the finish reason 'eos'"],
    ["a second finish", [text("Hi"), finish("stop"), finish("stop")], "a second finish reason for choice 0"],
    ["text after the finish", [finish("stop"), text("more")], "more of choice 0's answer after its finish reason"],
    ["a call after the finish", [finish("stop"), callDelta({ name: "look" })], "more of choice 0's answer after its finish reason"],
    ["a call begun without a name", [callDelta({ arguments: "{}" })], "a tool call that began without a function name"],
    ["a call's arguments as an object", [callDelta({ name: "look", arguments: { a: 1 } })], "arguments are not JSON text"],
    ["a call with no index", [{ choices: [{ index: 0, delta: { tool_calls: [{ function: { name: "look" } }] } }] }], "a tool-call delta with index undefined"],
  ])("%s: 502 naming the plugin's bug", (_, chunks, said) => {
    expect(refused(() => run(chunks as ChunkResult[]))).toContain(said);
  });

  test("a call's name is per choice: the same call index in another choice begins its own call", () => {
    const contract = new StreamContract(2, "p");
    contract.check(callDelta({ name: "look" }));
    expect(refused(() => contract.check({ choices: [{ index: 1, delta: { tool_calls: [{ index: 0, function: { arguments: "{}" } }] } }] } as never))).toContain(
      "began without a function name",
    );
  });

  test("chunks checked ahead (the first batch) are not checked again when the writer sees them", () => {
    const contract = new StreamContract(1, "p");
    contract.checkAhead([text("Hi"), finish("stop")]);
    contract.check(text("Hi"));
    contract.check(finish("stop")); // the same finish, seen again: not a second one
    expect(refused(() => contract.check(finish("stop")))).toContain("a second finish reason");
  });
});

describe("checkEmbeddings", () => {
  test("vectors of finite numbers, one per input, pass", () => {
    checkEmbeddings({ embeddings: [[0.5, -1], [0, 2]] }, 2, "p");
  });

  test.each([
    ["no embeddings array", { embeddings: "x" }, 1, "embeddings without an `embeddings` array"],
    ["one vector too few", { embeddings: [[1]] }, 2, "returned 1 embeddings for 2 inputs"],
    ["NaN", { embeddings: [[Number.NaN]] }, 1, "holding NaN"],
    ["Infinity", { embeddings: [[1, Infinity]] }, 1, "holding Infinity"],
    ["a string", { embeddings: [["0.5"]] }, 1, "holding string"],
    ["a typed array", { embeddings: [new Float32Array([1])] }, 1, "an embedding (input 0) that is not an array of numbers"],
    ["an empty vector", { embeddings: [[]] }, 1, "an embedding (input 0) that is not an array of numbers"],
    ["two lengths", { embeddings: [[1, 2], [1]] }, 2, "embeddings of 2 and 1 dimensions"],
  ])("%s: 502", (_, result, inputs, said) => {
    expect(refused(() => checkEmbeddings(result as unknown as EmbedResult, inputs, "p"))).toContain(said);
  });
});
