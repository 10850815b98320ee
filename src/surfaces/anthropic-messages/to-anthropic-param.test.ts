import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../errors.ts";
import type { MessagesRequest } from "./schema.ts";
import { toAnthropicPath, withAnthropicParam } from "./to-anthropic-param.ts";
import { type MessageSource, toChatMessages } from "./to-chat-request.ts";

const PNG = "iVBORw0KGgo=";
const image = (url: string) => ({ type: "image" as const, source: { type: "url" as const, url } });

/** system, a user turn, an assistant turn with text and two tool uses, a user turn with two tool results (the second with an image) then text and an image. */
const request = {
  model: "m",
  max_tokens: 10,
  system: "Be brief.",
  messages: [
    { role: "user", content: "Weather in Paris and Rome?" },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
        { type: "tool_use", id: "toolu_2", name: "weather", input: { city: "Rome" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
        { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "21C" }, image("https://x.example/rome.png")] },
        { type: "text", text: "And this one?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
      ],
    },
  ],
} as MessagesRequest;

describe("message sources", () => {
  test("each chat message records the Anthropic blocks it came from", () => {
    const sources: MessageSource[] = [];
    const messages = toChatMessages(request, sources);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "tool", "user"]);
    expect(sources).toEqual([
      { at: "system" },
      { at: "messages[0]" },
      { at: "messages[1]", calls: ["messages[1].content[1]", "messages[1].content[2]"] },
      { at: "messages[2].content[0]" },
      { at: "messages[2].content[1]" },
      // The label of the tool result's images first (the result it came from), then its image, the text, the image.
      { at: "messages[2]", parts: ["messages[2].content[1]", "messages[2].content[1].content[1]", "messages[2].content[2]", "messages[2].content[3]"] },
    ]);
    // The answer path records nothing and gives the same messages.
    expect(toChatMessages(request)).toEqual(messages);
  });
});

describe("toAnthropicPath", () => {
  const sources: MessageSource[] = [];
  toChatMessages(request, sources);
  const locate = (i: number) => sources[i];
  test.each([
    ["messages[0].content", "system"],
    ["messages[1].content", "messages[0].content"],
    ["messages[2].content", "messages[1].content"],
    ["messages[2].tool_calls[1].function.arguments", "messages[1].content[2].input"],
    ["messages[2].tool_calls[0].function.name", "messages[1].content[1].name"],
    ["messages[2].tool_calls[0].id", "messages[1].content[1].id"],
    ["messages[4].tool_call_id", "messages[2].content[1].tool_use_id"],
    ["messages[3].content", "messages[2].content[0].content"],
    ["messages[5].content[0].text", "messages[2].content[1].text"],
    ["messages[5].content[1].image_url.url", "messages[2].content[1].content[1].source"],
    ["messages[5].content[3].image_url.url", "messages[2].content[3].source"],
    ["messages[5].content[2].text", "messages[2].content[2].text"],
    ["messages[5].content[7].image_url.url", "messages[2].content"],
    ["messages[9].content", "messages"],
    ["max_completion_tokens", "max_tokens"],
    ["reasoning_effort", "thinking"],
    ["response_format.json_schema.schema.properties", "output_config.format.schema.properties"],
    ["response_format", "output_config.format"],
    ["stop", "stop_sequences"],
    ["tools[1].function.parameters.properties", "tools[1].input_schema.properties"],
    ["tools[1].function.name", "tools[1].name"],
    ["tool_choice.function.name", "tool_choice.name"],
    ["temperature", "temperature"],
  ])("%s → %s", (chat, anthropic) => {
    expect(toAnthropicPath(chat, locate)).toBe(anthropic);
  });

  test("reasoning_effort names the field the effort came from", () => {
    expect(toAnthropicPath("reasoning_effort", locate, "output_config.effort")).toBe("output_config.effort");
    expect(toAnthropicPath("reasoning_effort", undefined)).toBe("thinking");
  });

  test("the error's message names the same path as its param", () => {
    const error = withAnthropicParam(
      new InvalidRequestError("Invalid image in 'messages[5].content[3].image_url.url': not an image.", { param: "messages[5].content[3].image_url.url" }),
      locate,
    );
    expect(error).toMatchObject({ param: "messages[2].content[3].source", message: "Invalid image in 'messages[2].content[3].source': not an image." });
  });
});

describe("toAnthropicPath for a document", () => {
  test("a file part's field is the document's source", () => {
    const sources: MessageSource[] = [];
    toChatMessages(
      {
        model: "m",
        max_tokens: 10,
        system: "S",
        messages: [{ role: "user", content: [{ type: "text", text: "Read:" }, { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } }] }],
      } as MessagesRequest,
      sources,
    );
    expect(toAnthropicPath("messages[1].content[1].file.file_data", (i) => sources[i])).toBe("messages[0].content[1].source");
  });
});
