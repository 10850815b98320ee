import type { ChatRequest } from "../../src/kit.ts";
import { countTokens } from "./generate.ts";

/** The request's text as the dummy reads it: every string content and text part, in order. */
export function promptText(request: ChatRequest): string {
  let text = "";
  for (const message of request.messages) {
    const { content } = message;
    if (typeof content === "string") text += `${content}\n`;
    else if (Array.isArray(content)) {
      for (const part of content) if (part.type === "text" && part.text) text += `${part.text}\n`;
    }
  }
  return text;
}

/**
 * The prompt's tokens: each text counted where it is (a newline between two texts is a space to the
 * tokenizer, so this is `countTokens(promptText(request))` without building the whole string).
 */
export function promptTokens(request: ChatRequest): number {
  let tokens = 0;
  for (const message of request.messages) {
    const { content } = message;
    if (typeof content === "string") tokens += countTokens(content);
    else if (Array.isArray(content)) {
      for (const part of content) if (part.type === "text" && part.text) tokens += countTokens(part.text);
    }
  }
  return tokens;
}
