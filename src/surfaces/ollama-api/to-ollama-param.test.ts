import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../../schemas/chat.ts";
import { fromOllamaChat, fromOllamaGenerate } from "./to-chat-request.ts";
import { toOllamaPath } from "./to-ollama-param.ts";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("toOllamaPath", () => {
  const chat: ChatRequest = fromOllamaChat(
    {
      model: "m",
      messages: [
        { role: "system", content: "S" },
        { role: "user", content: "Two images:", images: [PNG, PNG] },
        { role: "user", content: "", images: [PNG] },
      ],
    },
    false,
  ).chat;
  test.each([
    ["messages[1].content[1].image_url.url", "messages[1].images[0]"],
    ["messages[1].content[2].image_url.url", "messages[1].images[1]"],
    // No text: the image is the first part.
    ["messages[2].content[0].image_url.url", "messages[2].images[0]"],
    ["messages[1].content[0].text", "messages[1].content[0].text"],
    ["messages[0].content", "messages[0].content"],
    ["max_completion_tokens", "options.num_predict"],
    ["max_tokens", "options.num_predict"],
    ["temperature", "options.temperature"],
    ["stop", "options.stop"],
    ["reasoning_effort", "think"],
    ["response_format.json_schema.schema", "format"],
    ["model", "model"],
  ])("chat: %s → %s", (param, ollama) => {
    expect(toOllamaPath(param, "chat", chat)).toBe(ollama);
  });

  const generate = fromOllamaGenerate({ model: "m", system: "S", prompt: "Look:", images: [PNG, PNG] }, false).chat;
  test.each([
    ["messages[1].content[2].image_url.url", "images[1]"],
    ["messages[1].content", "prompt"],
    ["messages[0].content", "system"],
    ["max_tokens", "options.num_predict"],
  ])("generate: %s → %s", (param, ollama) => {
    expect(toOllamaPath(param, "generate", generate)).toBe(ollama);
  });
});
