import { describe, expect, test } from "bun:test";
import type { ChatRequest } from "../../schemas/chat.ts";
import { normalizeAssistantTurns } from "./assistant-turns.ts";

describe("normalizeAssistantTurns", () => {
  test("an assistant's reasoning is its reasoning_content; refusal parts are its text; other messages are untouched", () => {
    const user = { role: "user" as const, content: [{ type: "text" as const, text: "Hi" }] };
    const chat = {
      model: "m",
      messages: [
        user,
        { role: "assistant", content: "4", reasoning: "2+2." },
        { role: "assistant", content: [{ type: "refusal", refusal: "I can't help with that." }] },
        { role: "assistant", content: "x", reasoning: "ignored", reasoning_content: "kept" },
      ],
    } as unknown as ChatRequest;
    normalizeAssistantTurns(chat);
    expect(chat.messages).toEqual([
      user,
      { role: "assistant", content: "4", reasoning: "2+2.", reasoning_content: "2+2." },
      { role: "assistant", content: [{ type: "text", text: "I can't help with that." }] },
      { role: "assistant", content: "x", reasoning: "ignored", reasoning_content: "kept" },
    ] as never);
    expect(chat.messages[0]).toBe(user);
  });
});
