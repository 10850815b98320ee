import { nowSeconds, randomId } from "../../ids.ts";
import type { ChatResult } from "../../plugin.ts";
import type { ChatCompletion } from "../../schemas/chat.ts";

/** Fills what the core owns in a provider's answer: id, object, created, model, and OpenAI's required nulls. */
export function toChatCompletion(result: ChatResult, model: string): ChatCompletion {
  const { id, choices, ...rest } = result;
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
