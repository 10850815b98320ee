import { describe, expect, test } from "bun:test";
import { InvalidRequestError } from "../../src/kit.ts";
import { LEVEL_MEDIUM, LEVEL_MINIMAL, LOGPROBS, THINKING_OFF, THINKING_UNSUPPORTED, UNSIGNED_CALLS } from "./refusals.ts";
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

  test("thinking levels a model lacks: minimal is asked again as low, medium as high, each only on its own refusal", () => {
    const minimal = body({ thinkingConfig: { thinkingLevel: "minimal" } });
    const medium = body({ temperature: 1, thinkingConfig: { thinkingLevel: "medium", includeThoughts: true } });
    expect([LEVEL_MINIMAL.asks(minimal), LEVEL_MINIMAL.asks(medium), LEVEL_MEDIUM.asks(medium)]).toEqual([true, false, true]);
    for (const words of ["Thinking level MINIMAL is not supported for this model. Please retry with other thinking level.", "'minimal' is not a supported thinking level for this model. Allowed values are: medium, low, high."]) {
      expect(LEVEL_MINIMAL.isRefusal(new InvalidRequestError(words))).toBe(true);
    }
    expect(LEVEL_MEDIUM.isRefusal(new InvalidRequestError("Thinking level MEDIUM is not supported for this model. Please retry with other thinking level."))).toBe(true);
    expect(LEVEL_MINIMAL.isRefusal(new InvalidRequestError("Thinking level MEDIUM is not supported for this model."))).toBe(false);
    expect(LEVEL_MINIMAL.without(minimal).generationConfig).toEqual({ thinkingConfig: { thinkingLevel: "low" } });
    expect(LEVEL_MEDIUM.without(medium).generationConfig).toEqual({ temperature: 1, thinkingConfig: { thinkingLevel: "high", includeThoughts: true } });
  });

  test("a model with no thinking settings is asked without them", () => {
    const asked = body({ temperature: 1, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(THINKING_UNSUPPORTED.asks(asked)).toBe(true);
    expect(THINKING_UNSUPPORTED.asks(body({}))).toBe(false);
    expect(THINKING_UNSUPPORTED.isRefusal(new InvalidRequestError("thinking_config is not supported."))).toBe(true);
    expect(THINKING_UNSUPPORTED.isRefusal(new InvalidRequestError("Thinking level is not supported for this model."))).toBe(true);
    expect(THINKING_UNSUPPORTED.isRefusal(new InvalidRequestError("Thinking level MINIMAL is not supported for this model."))).toBe(false);
    expect(THINKING_UNSUPPORTED.without(asked).generationConfig).toEqual({ temperature: 1 });
  });

  test("unsigned function calls: the first call of each model turn without a signature gets Google's placeholder, on Gemini 3's refusal", () => {
    const call = (name: string, thoughtSignature?: string) => ({ functionCall: { name, args: {} }, ...(thoughtSignature ? { thoughtSignature } : {}) });
    const asked: GeminiGenerateRequest = {
      contents: [
        { role: "user", parts: [{ text: "Hi" }] },
        { role: "model", parts: [{ text: "Let me look." }, call("a"), call("b")] },
        { role: "user", parts: [{ functionResponse: { name: "a", response: {} } }, { functionResponse: { name: "b", response: {} } }] },
        { role: "model", parts: [call("c", "c2ln")] },
      ],
      generationConfig: {},
    };
    expect(UNSIGNED_CALLS.asks(asked)).toBe(true);
    expect(UNSIGNED_CALLS.asks({ ...asked, contents: [asked.contents[0]!, asked.contents[3]!] })).toBe(false);
    expect(UNSIGNED_CALLS.isRefusal(new InvalidRequestError("Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly."))).toBe(true);
    expect(UNSIGNED_CALLS.isRefusal(new InvalidRequestError("Thinking level MINIMAL is not supported for this model."))).toBe(false);
    const sent = UNSIGNED_CALLS.without(asked);
    expect(sent.contents[1]!.parts).toEqual([{ text: "Let me look." }, call("a", "skip_thought_signature_validator"), call("b")]);
    expect(sent.contents[3]).toBe(asked.contents[3]!); // signed: as it was
    expect(asked.contents[1]!.parts[1]).toEqual(call("a")); // a copy, not the caller's object
    expect(UNSIGNED_CALLS.asks(sent)).toBe(false);
  });
});
