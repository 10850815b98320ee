import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../src/kit.ts";
import { LOGPROBS, THINKING_OFF } from "./refusals.ts";
import type { GeminiGenerateRequest } from "./wire.ts";

const body = (config: GeminiGenerateRequest["generationConfig"]): GeminiGenerateRequest => ({ contents: [{ role: "user", parts: [{ text: "Hi" }] }], generationConfig: config });

describe("Gemini's refusable features", () => {
  test("log probabilities: asked by responseLogprobs, refused with Gemini's words, dropped with their count", () => {
    const asked = body({ temperature: 0.2, responseLogprobs: true, logprobs: 3 });
    expect(LOGPROBS.asks(asked)).toBe(true);
    expect(LOGPROBS.asks(body({ temperature: 0.2 }))).toBe(false);
    expect(LOGPROBS.isRefusal(new InvalidRequestError("Logprobs is not enabled for models/gemini-2.5-pro"))).toBe(true);
    expect(LOGPROBS.isRefusal(new InvalidRequestError("Invalid value at 'generation_config.logprobs'"))).toBe(false);
    expect(LOGPROBS.without(asked).generationConfig).toEqual({ temperature: 0.2 });
    expect(asked.generationConfig.responseLogprobs).toBe(true); // a copy, not the caller's object
  });

  test("thinking off: a budget of 0, refused as gemini-2.5-pro words it, sent with no thinking setting", () => {
    const asked = body({ maxOutputTokens: 50, thinkingConfig: { thinkingBudget: 0 } });
    expect(THINKING_OFF.asks(asked)).toBe(true);
    expect(THINKING_OFF.asks(body({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } }))).toBe(false);
    expect(THINKING_OFF.asks(body({ thinkingConfig: { thinkingLevel: "minimal" } }))).toBe(false);
    for (const words of ["Budget 0 is invalid. This model only works in thinking mode.", "The model does not support setting thinking_budget to 0."]) {
      expect(THINKING_OFF.isRefusal(new InvalidRequestError(words))).toBe(true);
    }
    expect(THINKING_OFF.isRefusal(new InvalidRequestError("The thinking budget (52428) is invalid."))).toBe(false);
    expect(THINKING_OFF.without(asked).generationConfig).toEqual({ maxOutputTokens: 50 });
  });
});
