import { nowSeconds, randomId } from "../../ids.ts";
import type { ChatResult } from "../../plugin.ts";
import type { ChatCompletion } from "../../schemas/chat.ts";
import type { Usage } from "../../schemas/common.ts";
import type { TokenUsage } from "../../pipeline/outcome.ts";
import { isCount, isWholeUsage } from "../../pipeline/tally.ts";

/** Chat Completions' usage from the pipeline's count (the provider's figures, or the gateway's estimate where it gave none). */
export const usageOf = (tokens: TokenUsage): Usage => ({ prompt_tokens: tokens.input, completion_tokens: tokens.output, total_tokens: tokens.input + tokens.output });

/**
 * A provider's usage with every figure OpenAI's requires: as it is when whole; its total added when
 * both counts are there (its details kept); else the pipeline's count (its own figures, the rest
 * estimated), or zeros without one.
 */
export function wholeUsage(usage: Usage | null | undefined, tokens: TokenUsage | undefined): Usage {
  if (usage != null && isWholeUsage(usage)) return withReasoning(usage, tokens);
  if (usage != null && isCount(usage.prompt_tokens) && isCount(usage.completion_tokens)) return withReasoning({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }, tokens);
  // The pipeline's count, with the provider's details (cached, reasoning) it did send.
  if (tokens !== undefined) return withReasoning(usage != null ? { ...usage, ...usageOf(tokens) } : usageOf(tokens), tokens);
  return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
}

/** Whether the pipeline counted reasoning the provider's usage does not say (its thinking text, estimated). */
export const lacksReasoning = (usage: Usage | null | undefined, tokens: TokenUsage | undefined): boolean =>
  tokens !== undefined && tokens.reasoning > 0 && !isCount(usage?.completion_tokens_details?.reasoning_tokens);

/** The pipeline's reasoning count in `completion_tokens_details` where the provider's usage has none. */
const withReasoning = (usage: Usage, tokens: TokenUsage | undefined): Usage =>
  lacksReasoning(usage, tokens) ? { ...usage, completion_tokens_details: { ...usage.completion_tokens_details, reasoning_tokens: tokens!.reasoning } } : usage;

/**
 * Fills what the core owns in a provider's answer: id, object, created, model, and OpenAI's required
 * nulls; usage, which OpenAI always gives, from `tokens` where the provider gave none.
 */
export function toChatCompletion(result: ChatResult, model: string, tokens?: TokenUsage): ChatCompletion {
  const { id, choices, ...rest } = result;
  if ((!isWholeUsage(rest.usage) && (rest.usage != null || tokens !== undefined)) || lacksReasoning(rest.usage, tokens)) rest.usage = wholeUsage(rest.usage, tokens);
  return {
    id: id?.startsWith("chatcmpl-") ? id : randomId("chatcmpl-"),
    object: "chat.completion",
    created: nowSeconds(),
    model,
    choices: choices.map(({ index, message, logprobs, finish_reason, ...choiceExtras }) => {
      const { role: _role, content, refusal, ...messageExtras } = message;
      return {
        index,
        message: { role: "assistant" as const, content: content ?? null, refusal: refusal ?? null, ...messageExtras },
        logprobs: logprobs ?? null,
        finish_reason,
        ...choiceExtras,
      };
    }),
    ...rest,
  };
}
