import { FeatureRefusals, InvalidRequestError, type RefusableFeature } from "../../src/kit.ts";
import { SKIP_SIGNATURE } from "./convert-messages.ts";
import type { GeminiContent, GeminiGenerateRequest, GeminiThinkingConfig } from "./wire.ts";

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

const withThinking = (body: GeminiGenerateRequest, thinkingConfig: GeminiThinkingConfig | undefined): GeminiGenerateRequest => {
  const { thinkingConfig: _old, ...generationConfig } = body.generationConfig;
  return { ...body, generationConfig: thinkingConfig === undefined ? generationConfig : { ...generationConfig, thinkingConfig } };
};

const isLevelRefusal = (error: unknown, level: string) =>
  error instanceof InvalidRequestError && /thinking level/i.test(error.message) && new RegExp(`\\b${level}\\b`, "i").test(error.message);

/**
 * Gemini 3 models take a thinking level, but not each model every level: Gemini 3 Pro has no
 * `minimal` and no `medium`, and later Flash models no `minimal` ("Thinking level MINIMAL is not
 * supported for this model. Please retry with other thinking level."; "'minimal' is not a supported
 * thinking level for this model. Allowed values are: medium, low, high."). The least thinking a
 * model has stands for `minimal` (`low`)…
 */
export const LEVEL_MINIMAL: RefusableFeature<GeminiGenerateRequest> = {
  note: "gemini model has no minimal thinking level; asking with low",
  asks: (body) => body.generationConfig.thinkingConfig?.thinkingLevel === "minimal",
  isRefusal: (error) => isLevelRefusal(error, "minimal"),
  without: (body) => withThinking(body, { ...body.generationConfig.thinkingConfig, thinkingLevel: "low" }),
};

/** …and the next level up for `medium` (`high`, Gemini 3 Pro's default). */
export const LEVEL_MEDIUM: RefusableFeature<GeminiGenerateRequest> = {
  note: "gemini model has no medium thinking level; asking with high",
  asks: (body) => body.generationConfig.thinkingConfig?.thinkingLevel === "medium",
  isRefusal: (error) => isLevelRefusal(error, "medium"),
  without: (body) => withThinking(body, { ...body.generationConfig.thinkingConfig, thinkingLevel: "high" }),
};

/**
 * A model without thinking settings at all (Gemini 2.0: "thinking_config is not supported."; a
 * level sent to a model that takes none: "Thinking level is not supported for this model.") is
 * asked without one: it answers as it does.
 */
export const THINKING_UNSUPPORTED: RefusableFeature<GeminiGenerateRequest> = {
  note: "gemini model takes no thinking settings; asking without them",
  asks: (body) => body.generationConfig.thinkingConfig !== undefined,
  isRefusal: (error) => error instanceof InvalidRequestError && /thinking_?config is not supported|thinking level is not supported for this model/i.test(error.message),
  without: (body) => withThinking(body, undefined),
};

/** A model turn's first function call, when it was sent back without a thought signature. */
const firstUnsignedCall = (content: GeminiContent): number => {
  if (content.role !== "model") return -1;
  const first = content.parts.findIndex((part) => part.functionCall !== undefined);
  return first >= 0 && content.parts[first]!.thoughtSignature === undefined ? first : -1;
};

/**
 * Gemini 3 wants the first function call of each model turn sent back with its thought signature.
 * A history without one (another model's, a client that dropped the calls' ids) gets Google's
 * placeholder for a model whose id says Gemini 3 (convert-request.ts); ids that say no version
 * (`gemini-pro-latest`, `gemini-flash-latest`, which Google moves to Gemini 3 models) are refused
 * with "Function call is missing a thought_signature in functionCall parts…", and are asked again
 * with the placeholder (Google's documented `skip_thought_signature_validator`).
 */
export const UNSIGNED_CALLS: RefusableFeature<GeminiGenerateRequest> = {
  note: "gemini model wants signed function calls; sending Google's placeholder where the history has no signature",
  asks: (body) => body.contents.some((content) => firstUnsignedCall(content) >= 0),
  isRefusal: (error) => error instanceof InvalidRequestError && /missing a thought_?signature/i.test(error.message),
  without: (body) => ({
    ...body,
    contents: body.contents.map((content) => {
      const at = firstUnsignedCall(content);
      if (at < 0) return content;
      const parts = [...content.parts];
      parts[at] = { ...parts[at]!, thoughtSignature: SKIP_SIGNATURE };
      return { ...content, parts };
    }),
  }),
};

/** One per plugin instance: which models refused what. */
export const geminiRefusals = (): FeatureRefusals<GeminiGenerateRequest> =>
  new FeatureRefusals([LOGPROBS, THINKING_OFF, LEVEL_MINIMAL, LEVEL_MEDIUM, THINKING_UNSUPPORTED, UNSIGNED_CALLS]);
