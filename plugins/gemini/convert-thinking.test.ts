import { describe, expect, test } from "bun:test";
import { toGeminiThinkingConfig } from "./convert-thinking.ts";

describe("toGeminiThinkingConfig", () => {
  test.each([
    [undefined, "gemini-2.5-flash", undefined],
    [null, "gemini-2.5-flash", undefined],
    ["none", "gemini-2.5-flash", { thinkingBudget: 0 }],
    ["minimal", "gemini-2.5-flash", { thinkingBudget: 512, includeThoughts: true }],
    ["low", "gemini-2.5-pro", { thinkingBudget: 1024, includeThoughts: true }],
    ["medium", "gemini-2.5-flash", { thinkingBudget: 8192, includeThoughts: true }],
    ["high", "gemini-2.0-flash", { thinkingBudget: 24576, includeThoughts: true }],
    ["xhigh", "gemini-2.5-pro", { thinkingBudget: 32768, includeThoughts: true }],
    ["none", "gemini-3-pro-preview", { thinkingLevel: "minimal" }],
    ["minimal", "gemini-3-flash", { thinkingLevel: "minimal" }],
    ["low", "gemini-3-pro-preview", { thinkingLevel: "low", includeThoughts: true }],
    ["medium", "gemini-3-flash", { thinkingLevel: "medium", includeThoughts: true }],
    ["high", "gemini-3.1-pro", { thinkingLevel: "high", includeThoughts: true }],
    ["xhigh", "gemini-3-pro-preview", { thinkingLevel: "high", includeThoughts: true }],
    ["max", "gemini-2.5-pro", { thinkingBudget: 32768, includeThoughts: true }],
    ["max", "gemini-3-pro-preview", { thinkingLevel: "high", includeThoughts: true }],
    // Flash and Flash-Lite think 24,576 tokens at most (more is Gemini's 400 "out of range").
    ["xhigh", "gemini-2.5-flash", { thinkingBudget: 24576, includeThoughts: true }],
    ["max", "gemini-2.5-flash-lite", { thinkingBudget: 24576, includeThoughts: true }],
  ])("%p on %s", (effort, model, expected) => {
    expect(toGeminiThinkingConfig(effort as string | null | undefined, model)).toEqual(expected as never);
  });

  test("an exact budget (Anthropic's budget_tokens) is kept, within the model's most", () => {
    expect(toGeminiThinkingConfig("high", "gemini-2.5-flash", 30000)).toEqual({ thinkingBudget: 24576, includeThoughts: true });
    expect(toGeminiThinkingConfig("high", "gemini-2.5-pro", 30000)).toEqual({ thinkingBudget: 30000, includeThoughts: true });
    expect(toGeminiThinkingConfig("low", "gemini-2.5-flash", 2000)).toEqual({ thinkingBudget: 2000, includeThoughts: true });
  });

  test("no effort, but the reasoning asked to be shown (Responses' reasoning.summary): Gemini decides how much, and returns its thoughts", () => {
    expect(toGeminiThinkingConfig(undefined, "gemini-2.5-flash", undefined, true)).toEqual({ includeThoughts: true });
    expect(toGeminiThinkingConfig(null, "gemini-3-pro-preview", undefined, true)).toEqual({ includeThoughts: true });
    // An effort says more: its own setting, thoughts included.
    expect(toGeminiThinkingConfig("low", "gemini-2.5-flash", undefined, true)).toEqual({ thinkingBudget: 1024, includeThoughts: true });
  });

  test("an unknown effort is a 400 naming reasoning_effort", () => {
    expect(() => toGeminiThinkingConfig("extreme", "gemini-2.5-flash")).toThrow(
      expect.objectContaining({ status: 400, param: "reasoning_effort" }),
    );
  });
});
