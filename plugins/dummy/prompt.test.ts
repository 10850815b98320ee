import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../../src/kit.ts";
import { countTokens } from "./generate.ts";
import { promptText, promptTokens } from "./prompt.ts";

describe("promptTokens", () => {
  test.each([
    ["one message", [{ role: "user", content: "Hello, what's your name?" }]],
    ["words split only by the message boundary", [{ role: "system", content: "end" }, { role: "user", content: "start!" }]],
    ["text parts and an image part", [{ role: "user", content: [{ type: "text", text: "look:" }, { type: "image_url", image_url: { url: "data:," } }, { type: "text", text: "ok" }] }]],
    ["unicode and an empty message", [{ role: "user", content: "héllo 世界 🙂" }, { role: "assistant", content: "" }]],
  ])("%s: the same count as the whole prompt text", (_name, messages) => {
    const request = { model: "dummy-model:1.0", messages } as unknown as ChatRequest;
    expect(promptTokens(request)).toBe(countTokens(promptText(request)));
    expect(promptTokens(request)).toBeGreaterThan(0);
  });
});
