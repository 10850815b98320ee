import { FeatureRefusals, InvalidRequestError, type RefusableFeature } from "../../src/kit.ts";
import type { GeminiGenerateRequest } from "./wire.ts";

/**
 * Gemini answers a request with `responseLogprobs` for a model without log probabilities (most of
 * the 2.5 and 3 models) with a 400, "Logprobs is not enabled for models/…". Chat clients send
 * `logprobs: true` whatever the model, and other providers answer them without: so does this plugin.
 */
export const LOGPROBS: RefusableFeature<GeminiGenerateRequest> = {
  note: "gemini model gives no log probabilities; answering without them",
  asks: (body) => body.generationConfig.responseLogprobs === true,
  isRefusal: (error) => error instanceof InvalidRequestError && /logprobs is not enabled/i.test(error.message),
  without(body) {
    const { responseLogprobs: _asked, logprobs: _top, ...generationConfig } = body.generationConfig;
    return { ...body, generationConfig };
  },
};

/**
 * "No thinking" (`reasoning_effort: "none"`, Ollama's `think: false`) is a budget of 0, which the
 * models that cannot stop thinking refuse: gemini-2.5-pro says "Budget 0 is invalid. This model
 * only works in thinking mode." (other routes: "The model does not support setting thinking_budget
 * to 0."). Such a model is asked without a thinking setting: it thinks as it decides, and its
 * thoughts are not returned, the nearest it comes to what was asked.
 */
export const THINKING_OFF: RefusableFeature<GeminiGenerateRequest> = {
  note: "gemini model cannot switch thinking off; answering with its own thinking, not shown",
  asks: (body) => body.generationConfig.thinkingConfig?.thinkingBudget === 0,
  isRefusal: (error) =>
    error instanceof InvalidRequestError && /budget 0 is invalid|only works in thinking mode|thinking_?budget to 0/i.test(error.message),
  without(body) {
    const { thinkingConfig: _off, ...generationConfig } = body.generationConfig;
    return { ...body, generationConfig };
  },
};

/** One per plugin instance: which models refused what. */
export const geminiRefusals = (): FeatureRefusals<GeminiGenerateRequest> => new FeatureRefusals([LOGPROBS, THINKING_OFF]);
