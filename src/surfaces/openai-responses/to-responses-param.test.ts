import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../errors.ts";
import { toResponsesParam, withResponsesParam } from "./to-responses-param.ts";

describe("toResponsesParam", () => {
  test.each([
    ["reasoning_effort", "reasoning.effort"],
    ["max_tokens", "max_output_tokens"],
    ["max_completion_tokens", "max_output_tokens"],
    ["response_format", "text.format"],
    ["response_format.type", "text.format.type"],
    ["response_format.json_schema.schema", "text.format.schema"],
    ["tools[2].function.parameters", "tools[2].parameters"],
    ["tools[0]", "tools[0]"],
    ["tool_choice.function.name", "tool_choice.name"],
    ["messages[3].content", "input"],
    ["messages", "input"],
    ["temperature", "temperature"],
    ["model", "model"],
  ])("%s → %s", (chat, responses) => {
    expect(toResponsesParam(chat)).toBe(responses);
  });

  test("renames the param of an error that has one, and leaves others alone", () => {
    const error = withResponsesParam(new InvalidRequestError("bad effort", { param: "reasoning_effort" }));
    expect(error.param).toBe("reasoning.effort");
    expect(withResponsesParam(new Error("x"))).toBeInstanceOf(Error);
  });
});
