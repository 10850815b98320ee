import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../errors.ts";
import { type ItemPlace, type MessagePlace, toResponsesParam, toResponsesPath, withResponsesParam } from "./to-responses-param.ts";

describe("toResponsesParam", () => {
  test.each([
    ["reasoning_effort", "reasoning.effort"],
    ["verbosity", "text.verbosity"],
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

  // messages[0]: instructions; [1]: a stored item; [3]: input[2], a user message; [4]: input[3], an
  // assistant turn whose two tool calls were input[4] and input[5]; [5]: input[6], a function output;
  // [6]: a stored assistant turn with one stored call, one call from input[7] and one input[8] names
  // by id (an item_reference); [7]: a user message input[9] names by id.
  const fc = (field: string): ItemPlace => ({ field, type: "function_call" });
  const places: Record<number, MessagePlace> = {
    0: { field: "instructions", type: "instructions" },
    1: { field: "previous_response_id", type: "message" },
    3: { field: "input[2]", type: "message" },
    4: { field: "input[3]", type: "message", calls: [fc("input[4]"), fc("input[5]")] },
    5: { field: "input[6]", type: "function_call_output" },
    6: { field: "previous_response_id", type: "function_call", calls: [fc("previous_response_id"), fc("input[7]"), { field: "input[8]", type: "item_reference" }] },
    7: { field: "input[9]", type: "item_reference" },
    // [8]: an assistant turn of one custom tool call, input[10]; [9]: its output, input[11].
    8: { field: "input[10]", type: "custom_tool_call", calls: [{ field: "input[10]", type: "custom_tool_call" }] },
    9: { field: "input[11]", type: "custom_tool_call_output" },
  };
  const locate = (i: number) => places[i];

  test.each([
    ["messages[3].content[1].image_url.url", "input[2].content[1].image_url"],
    ["messages[3].content[0].text", "input[2].content[0].text"],
    ["messages[3].content", "input[2].content"],
    ["messages[3].role", "input[2].role"],
    ["messages[3].name", "input[2]"],
    ["messages[4].content", "input[3].content"],
    ["messages[4].tool_calls[0].function.arguments", "input[4].arguments"],
    ["messages[4].tool_calls[1].function.name", "input[5].name"],
    ["messages[4].tool_calls[1].id", "input[5].call_id"],
    ["messages[4].tool_calls[1]", "input[5]"],
    ["messages[4].tool_calls[2].function.arguments", "input[3]"],
    ["messages[5].tool_call_id", "input[6].call_id"],
    ["messages[5].content", "input[6].output"],
    ["messages[5].content[0].text", "input[6].output"],
    ["messages[6].tool_calls[0].function.arguments", "previous_response_id"],
    ["messages[6].tool_calls[1].function.arguments", "input[7].arguments"],
    ["messages[6].tool_calls[2].function.arguments", "input[8]"],
    ["messages[7].content[1].image_url.url", "input[9]"],
    ["messages[8].tool_calls[0].function.arguments", "input[10].input"],
    ["messages[8].tool_calls[0].function.name", "input[10].name"],
    ["messages[9].tool_call_id", "input[11].call_id"],
    ["messages[9].content", "input[11].output"],
    ["messages[0].content", "instructions"],
    ["messages[1].content[0].image_url.url", "previous_response_id"],
    ["messages[12]", "input"],
    ["max_completion_tokens", "max_output_tokens"],
  ])("with the messages placed: %s → %s", (chat, responses) => {
    expect(toResponsesPath(chat, locate)).toBe(responses);
  });

  test("the message names the same path as the param; a bare word is replaced only where quoted", () => {
    const image = withResponsesParam(
      new InvalidRequestError("Invalid image in 'messages[3].content[1].image_url.url': not an image.", { param: "messages[3].content[1].image_url.url" }),
      () => ({ field: "input[2]", type: "message" }),
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
