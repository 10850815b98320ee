import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../errors.ts";
import { toResponsesParam, toResponsesPath, withResponsesParam } from "./to-responses-param.ts";

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

  test.each([
    ["messages[3].content[1].image_url.url", "input[2].content[1].image_url"],
    ["messages[3].content[0].text", "input[2].content[0].text"],
    ["messages[3].content", "input[2].content"],
    ["messages[3].tool_call_id", "input[2]"],
    ["messages[0].content", "instructions"],
    ["messages[1]", "previous_response_id"],
    ["messages[9]", "input"],
    ["max_completion_tokens", "max_output_tokens"],
  ])("with the messages placed: %s → %s", (chat, responses) => {
    const places: Record<number, string> = { 0: "instructions", 1: "previous_response_id", 3: "input[2]" };
    expect(toResponsesPath(chat, (i) => places[i] ?? "input")).toBe(responses);
  });

  test("the message names the same path as the param; a bare word is replaced only where quoted", () => {
    const image = withResponsesParam(
      new InvalidRequestError("Invalid image in 'messages[3].content[1].image_url.url': not an image.", { param: "messages[3].content[1].image_url.url" }),
      () => "input[2]",
    );
    expect(image).toMatchObject({ param: "input[2].content[1].image_url", message: "Invalid image in 'input[2].content[1].image_url': not an image." });
    const limit = withResponsesParam(new InvalidRequestError("max_completion_tokens is too large: 9000.", { param: "max_completion_tokens" }));
    expect(limit).toMatchObject({ param: "max_output_tokens", message: "max_output_tokens is too large: 9000." });
    const messages = withResponsesParam(new InvalidRequestError("Invalid 'messages': the messages are empty.", { param: "messages" }));
    expect(messages).toMatchObject({ param: "input", message: "Invalid 'input': the messages are empty." });
  });

  test("renames the param of an error that has one, and leaves others alone", () => {
    const error = withResponsesParam(new InvalidRequestError("bad effort", { param: "reasoning_effort" }));
    expect(error.param).toBe("reasoning.effort");
    expect(withResponsesParam(new Error("x"))).toBeInstanceOf(Error);
  });
});
