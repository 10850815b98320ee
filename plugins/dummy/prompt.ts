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

export const promptTokens = (request: ChatRequest) => countTokens(promptText(request));
