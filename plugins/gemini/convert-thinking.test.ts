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
  ])("%p on %s", (effort, model, expected) => {
    expect(toGeminiThinkingConfig(effort as string | null | undefined, model)).toEqual(expected as never);
  });

  test("an unknown effort is a 400 naming reasoning_effort", () => {
    expect(() => toGeminiThinkingConfig("extreme", "gemini-2.5-flash")).toThrow(
      expect.objectContaining({ status: 400, param: "reasoning_effort" }),
    );
  });
});
